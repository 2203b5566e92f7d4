/** Time zones, working hours and free-slot search. */
export * from "./zoned";
export * from "./slots";
export * from "./format";
