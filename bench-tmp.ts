import * as path from "path";
import { startPack } from "./tools/analyzer-client";
import { syntheticStack } from "./bench/pack.bench";
const PACK = path.resolve("policy-pack");
(async () => {
  const small = syntheticStack(5000), large = syntheticStack(20000);
  const client = await startPack(PACK);
  const time = async (rs: any[]) => {
    await client.configure(); await client.configureStack({ stack: "bench", project: "sec1-api-platform", dryRun: true });
    const t = process.hrtime.bigint();
    for (const r of rs) await client.analyze(r);
    const a = Number(process.hrtime.bigint() - t) / 1e6;
    const t2 = process.hrtime.bigint();
    await client.analyzeStack(rs);
    return [a, Number(process.hrtime.bigint() - t2) / 1e6];
  };
  for (let i = 0; i < 2; i++) {
    console.log("5k", await time(small));
    console.log("20k", await time(large));
  }
  await client.stop();
  process.exit(0);
})();
