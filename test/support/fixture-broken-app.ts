/** An app whose configuration refuses to start, for the runner's start-up failure test. */
export {};

throw new Error("Invalid configuration: ITWIN_API_BASE_URL is required (fixture)");
