/**
 * The Pulumi engine's wire signatures: how secrets, resource references, output values, assets
 * and unknowns are marked in property maps (the SDK's `rpc` module uses the same strings).
 */

/** The engine's sentinel for a value not known during preview. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
/** The key that marks a special value; its value says which kind. */
export const SIG = "4dabf18193072939515e22adb298388d";
export const SIG_SECRET = "1b47061264138c4ac30d75fd1eb44270";
export const SIG_RESOURCE = "5cf8f73096256a8f31e491e813e4eb8e";
export const SIG_ASSET = "c44067f5952c0a294b673a41bacd8c17";
export const SIG_ARCHIVE = "0def7320c3a5731c473e5ecbe6d01bc7";
export const SIG_OUTPUT = "d0e6a833031e9bbcd3f4e8bde6ca49a4";
