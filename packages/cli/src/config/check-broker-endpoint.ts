/**
 * Cross-key rules of a `type: kafka` or `type: nats` endpoint (credentials that go together, TLS files in pairs,
 * settings that do nothing without another). Paths are relative to the endpoint.
 */
import type { ConfigFinding } from './check-config.js';
import type { KafkaEndpointFile } from './kafka-endpoint-schema.js';
import type { NatsEndpointFile } from './nats-endpoint-schema.js';

type Tls = boolean | { readonly certFile?: string | undefined; readonly keyFile?: string | undefined; readonly insecureSkipVerify?: boolean } | undefined;

function checkTls(tls: Tls, error: (path: readonly string[], message: string) => void, warn: (path: readonly string[], message: string) => void): void {
  if (typeof tls !== 'object') return;
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) {
    error(['tls', tls.certFile === undefined ? 'keyFile' : 'certFile'], 'certFile and keyFile must be set together');
  }
  if (tls.insecureSkipVerify === true) warn(['tls', 'insecureSkipVerify'], 'TLS certificate verification is disabled for this endpoint');
}

/** The findings of one broker endpoint, with paths inside it (`['sasl', 'passwordVar']`). */
export function checkBrokerEndpoint(endpoint: KafkaEndpointFile | NatsEndpointFile): ConfigFinding[] {
  const findings: ConfigFinding[] = [];
  const error = (path: readonly string[], message: string): void => {
    findings.push({ severity: 'error', path, message });
  };
  const warn = (path: readonly string[], message: string): void => {
    findings.push({ severity: 'warning', path, message });
  };
  checkTls(endpoint.tls, error, warn);
  if (endpoint.type === 'kafka') {
    const sasl = endpoint.sasl;
    if (sasl !== undefined) {
      if (sasl.passwordVar === undefined && sasl.passwordFile === undefined) error(['sasl'], 'needs the password: set passwordVar or passwordFile');
      if (sasl.passwordVar !== undefined && sasl.passwordFile !== undefined) error(['sasl', 'passwordFile'], 'passwordVar and passwordFile are exclusive: set one');
      if (sasl.mechanism === 'PLAIN' && (endpoint.tls === undefined || endpoint.tls === false)) {
        warn(['sasl', 'mechanism'], 'PLAIN sends the password in clear text without tls');
      }
    }
    if (endpoint.topicSettings !== undefined && !endpoint.createTopics) warn(['topicSettings'], 'has no effect without createTopics: true');
  } else {
    if (endpoint.usernameVar !== undefined && endpoint.passwordVar === undefined) error(['usernameVar'], 'needs passwordVar (the password of this user)');
    if (endpoint.passwordVar !== undefined && endpoint.usernameVar === undefined) error(['passwordVar'], 'needs usernameVar (the user it is the password of)');
    if (endpoint.tokenVar !== undefined && endpoint.usernameVar !== undefined) error(['tokenVar'], 'tokenVar and usernameVar/passwordVar are exclusive: set one');
    if (endpoint.createKvBucket && endpoint.kvBucket === undefined) warn(['createKvBucket'], 'has no effect without kvBucket');
  }
  return findings;
}
