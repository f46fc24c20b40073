/**
 * Keeps credentials out of messages: a registry may echo a header or a token back in an error body,
 * and that body becomes part of a user-facing message. Every known secret value (and its base64 form,
 * as it travels in Basic auth) is replaced before any text leaves the client.
 */
export class SecretRedactor {
  readonly #secrets = new Set<string>();

  /** Remembers a value that must never appear in a message or log line. */
  add(secret: string | undefined): void {
    // Short values would redact ordinary words; nothing this client holds as a secret is that short.
    if (secret === undefined || secret.length < 4) return;
    this.#secrets.add(secret);
    this.#secrets.add(Buffer.from(secret).toString('base64'));
  }

  /** The text with every known secret, and anything shaped like an Authorization value, replaced. */
  redact(text: string): string {
    let out = text;
    for (const secret of this.#secrets) out = out.split(secret).join('[REDACTED]');
    return out.replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 [REDACTED]');
  }
}
