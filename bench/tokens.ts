/**
 * What the authorizer benchmarks share: real RS256 tokens with their JWKS, a key cache that
 * never goes to the network, and one timed round of an operation.
 */
import { generateKeyPairSync, sign } from "crypto";
import { FetchError } from "aws-jwt-verify/error";
import { Jwk, SimpleJwksCache } from "aws-jwt-verify/jwk";

/** `count` distinct tokens, each with `claims(i, now)`, signed by one fresh RSA key. */
export function signedTokens(
  count: number,
  claims: (i: number, now: number) => Record<string, unknown>,
): { jwk: Jwk; list: string[] } {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = { ...publicKey.export({ format: "jwk" }), kid: "bench", alg: "RS256", use: "sig" };
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
  const t = Math.floor(Date.now() / 1000);
  const list = Array.from({ length: count }, (_, i) => {
    const input = `${b64({ alg: "RS256", typ: "JWT", kid: "bench" })}.${b64(claims(i, t))}`;
    return `${input}.${sign("sha256", Buffer.from(input), privateKey).toString("base64url")}`;
  });
  return { jwk: jwk as Jwk, list };
}

/** A JWKS cache whose fetcher fails at once: every key must be primed. */
export const noNetwork = new SimpleJwksCache({
  fetcher: {
    fetch: async (uri: string) => {
      throw new FetchError(uri, "the benchmark runs offline");
    },
  },
});

/** Operations per second of `op` over `perRound` calls cycling through the inputs. */
export async function round<T>(
  inputs: T[],
  op: (input: T) => Promise<unknown>,
  perRound: number,
): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < perRound; i++) await op(inputs[i % inputs.length]);
  return perRound / (Number(process.hrtime.bigint() - start) / 1e9);
}

/**
 * `rounds` timed rounds of each side, alternating which goes first, so neither always runs
 * right after a GC of the other.
 */
export async function interleaved(
  rounds: number,
  ours: () => Promise<number>,
  baseline: () => Promise<number>,
): Promise<{ ours: number[]; baseline: number[] }> {
  const out = { ours: [] as number[], baseline: [] as number[] };
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      out.ours.push(await ours());
      out.baseline.push(await baseline());
    } else {
      out.baseline.push(await baseline());
      out.ours.push(await ours());
    }
  }
  return out;
}

/** One authorizer against the library on the same tokens, and what to tell of a denial. */
export interface DecisionRace<E> {
  /** The authorizer's events, one per token. */
  events: E[];
  /** Our decision on one event; `allowed` says whether it let the caller in. */
  decide: (event: E) => Promise<unknown>;
  allowed: (result: unknown) => boolean;
  /** The tokens and the library's own verify. */
  tokens: string[];
  verify: (token: string) => Promise<unknown>;
  /** Denials the authorizer logged: none may happen, a denial is cheaper than an allow. */
  denials: unknown[];
  rounds: number;
  perRound: number;
}

/**
 * Warms both sides up, proves every decision is an allow, then times them in interleaved rounds;
 * returns each side's decisions per second per round.
 */
export async function raceDecisions<E>(
  race: DecisionRace<E>,
): Promise<{ ours: number[]; baseline: number[] }> {
  for (const e of race.events) {
    if (!race.allowed(await race.decide(e)))
      throw new Error(`benchmark token denied: ${JSON.stringify(race.denials)}`);
  }
  for (const t of race.tokens) await race.verify(t);
  const result = await interleaved(
    race.rounds,
    () => round(race.events, race.decide, race.perRound),
    () => round(race.tokens, race.verify, race.perRound),
  );
  if (race.denials.length > 0) throw new Error(`benchmark tokens denied: ${race.denials.length}`);
  return result;
}
