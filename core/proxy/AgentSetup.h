#pragma once

#include <QString>

namespace l402::proxy {

// What an agent is told so it goes through the wallet: the proxy URL with its credentials,
// and a shell snippet that sets the proxy variables every HTTP stack reads (curl, Python,
// Node's undici with NODE_USE_ENV_PROXY) and, with `dataDir`, trusts the wallet's local CA for
// HTTPS (SSL_CERT_FILE & co. point at a bundle of the system CAs plus the wallet's).
QString agentProxyUrl(const QString& name, const QString& secret, quint16 port);
QString agentEnvSnippet(const QString& name, const QString& secret, quint16 port,
                        const QString& dataDir = {});

} // namespace l402::proxy
