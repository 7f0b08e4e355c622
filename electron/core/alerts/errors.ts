/** Errors for the API layer: mapped to ApiFailure with the same code. */
export class AlertError extends Error {
  constructor(
    readonly code: 'not_found' | 'conflict' | 'invalid_input',
    message: string,
  ) {
    super(message);
  }
}
