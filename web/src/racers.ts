/** The two learners of the demo's race (a module of its own so the page script need not load the library). */
export const RACERS = ["ismm", "adam"] as const;
export type Racer = (typeof RACERS)[number];
