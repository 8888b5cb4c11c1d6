// The stack: reads the validated config, builds the components, exports outputs. Nothing else.
import { loadPlatformConfig } from "./config";

const config = loadPlatformConfig();

export const environment = config.environment;
