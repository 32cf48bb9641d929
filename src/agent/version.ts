// The agent's version is the package's.
import { PACKAGE_VERSION } from '../util/version.js';

export const AGENT_VERSION = PACKAGE_VERSION;
