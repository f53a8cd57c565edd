/** One `WWW-Authenticate` challenge: the scheme (lower case) and its auth-params (keys lower case). */
export interface AuthChallenge {
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

// At each position either an auth-param (key=value, the value a token or a quoted string) or a
// scheme name, which starts the next challenge; commas separate both.
const TOKEN = "[A-Za-z][\\w!#$%&'*+.^`|~-]*";
const ITEM = new RegExp(`\\s*(?:(${TOKEN})\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^\\s,"]*))|(${TOKEN}))\\s*,?`, 'y');

/**
 * Parses the challenges of a `WWW-Authenticate` header (RFC 9110 §11.6.1), e.g.
 * `Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"`.
 * Several challenges in one header (`Basic realm="x", Bearer realm="y"`) come back in order;
 * parsing stops at the first thing it cannot read (a token68 credential, say).
 */
export function parseChallenges(header: string | null | undefined): AuthChallenge[] {
  const out: { scheme: string; params: Record<string, string> }[] = [];
  if (!header) return out;
  ITEM.lastIndex = 0;
  while (ITEM.lastIndex < header.length) {
    const m = ITEM.exec(header);
    if (!m || m[0] === '') break;
    if (m[4] !== undefined) {
      out.push({ scheme: m[4].toLowerCase(), params: {} });
    } else if (out.length > 0) {
      out[out.length - 1].params[m[1].toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3];
    } else {
      break;
    }
  }
  return out;
}
