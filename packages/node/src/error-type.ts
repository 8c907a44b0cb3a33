// SPDX-License-Identifier: Apache-2.0

/** The class name of what was thrown, for `error.type`: low-cardinality and free of the message text. */
export function errorClassName(error: unknown): string {
  return (error as { constructor?: { name?: string } } | null)?.constructor?.name || 'Error';
}
