#include "core/proxy/AgentSetup.h"

#include "core/proxy/LocalCa.h"

#include <QStringList>

namespace l402::proxy {

QString agentProxyUrl(const QString& name, const QString& secret, quint16 port)
{
    return QStringLiteral("http://%1:%2@127.0.0.1:%3").arg(name, secret).arg(port);
}

QString agentEnvSnippet(const QString& name, const QString& secret, quint16 port,
                        const QString& dataDir)
{
    const QString url = agentProxyUrl(name, secret, port);
    QStringList lines;
    for (const char* variable : {"HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"}) {
        lines << QStringLiteral("export %1=\"%2\"").arg(QLatin1String(variable), url);
    }
    lines << QStringLiteral("export NO_PROXY=\"localhost,127.0.0.1,::1\"")
          << QStringLiteral("export no_proxy=\"localhost,127.0.0.1,::1\"")
          << QStringLiteral("export NODE_USE_ENV_PROXY=1")
          // fetch and mcp prove the agent with this (DESIGN §3.8)
          << QStringLiteral("export L402_WALLET_AGENT=\"%1:%2\"").arg(name, secret);
    if (!dataDir.isEmpty()) {
        const QString bundle = LocalCa::bundleFile(dataDir);
        const QString ca = LocalCa::certificateFile(dataDir);
        for (const char* variable :
             {"SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "GIT_SSL_CAINFO"}) {
            lines << QStringLiteral("export %1=\"%2\"").arg(QLatin1String(variable), bundle);
        }
        lines << QStringLiteral("export NODE_EXTRA_CA_CERTS=\"%1\"").arg(ca);
    }
    return lines.join(u'\n');
}

} // namespace l402::proxy
