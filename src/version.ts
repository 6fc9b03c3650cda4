// The Warden version stamped into compiled artifacts and decision records.
export const WARDEN_VERSION = "0.1.0";
