// The command table: one lazily imported module per `warden <command>`.
import type { Command } from "../io.js";

export interface CommandEntry {
  summary: string;
  load: () => Promise<Command>;
}

export const COMMANDS: Record<string, CommandEntry> = {
};
