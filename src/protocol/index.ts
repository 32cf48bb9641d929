// The wire contract, defined once for the dashboard, the agent and the web client.
export * from './constants.js';
export * from './model.js';
export * from './agent.js';
export * from './browser.js';
export * from './http.js';
export * from './rollout.js';
