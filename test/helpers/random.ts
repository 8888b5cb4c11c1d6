// The seeded PRNG lives with the policy pack, whose tests run without this checkout.
export { seeded } from "../../policy-pack/test/helpers/random";
