/** Plaintext messages between agents. Only ever inside ciphertext: the relay must not import this folder. */
export * from "./schema";
export * from "./agent";
export * from "./chain";
export * from "./peer";
export * from "./invite";
