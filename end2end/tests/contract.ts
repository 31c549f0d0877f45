import { readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The wire contract's names (namespaces, events, error codes, API paths, the `general` room),
 * generated from `crates/protocol`: tests never spell them.
 */
export const contract = JSON.parse(
  readFileSync(join(__dirname, "..", "..", "crates", "protocol", "contract.json"), "utf8"),
);

/** The room everyone is in. */
export const GENERAL: string = contract.general;
