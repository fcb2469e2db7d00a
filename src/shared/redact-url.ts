/**
 * A URL as it may be logged: the value of every query parameter that carries a credential is replaced by
 * `[redacted]`. A parameter carries one when its name, percent-decoded and in any case, names a token, a password
 * or a secret (`token`, `%74oken`, `TOKEN`, `access_token`, `refresh`, …), or when its value is shaped like a
 * JWT, whatever its name: a client that puts a token in the query string by mistake must not leave it in the log.
 */
const SENSITIVE_NAME =
  /^(token|access|access_token|refresh|refresh_token|id_token|password|secret|key|api_key|apikey|auth|authorization|bearer|code)$/;
const JWT_SHAPED = /^[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*$/;

const decoded = (text: string): string => {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
};

export const redactUrl = (url: string): string => {
  const at = url.indexOf('?');
  if (at < 0) return url;
  const query = url
    .slice(at + 1)
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=');
      if (equals < 0) return pair;
      const [name, value] = [pair.slice(0, equals), pair.slice(equals + 1)];
      const sensitive =
        SENSITIVE_NAME.test(decoded(name).trim().toLowerCase()) || JWT_SHAPED.test(decoded(value).trim());
      return sensitive ? `${name}=[redacted]` : pair;
    })
    .join('&');
  return `${url.slice(0, at)}?${query}`;
};
