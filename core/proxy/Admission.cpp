#include "core/proxy/Admission.h"

#include "core/proxy/ProxyServer.h"

namespace l402::proxy {
namespace {

bool sameName(QByteArrayView a, QByteArrayView b)
{
    return a.compare(b, Qt::CaseInsensitive) == 0;
}

QList<QByteArray> valuesOf(const HeaderList& headers, QByteArrayView name)
{
    QList<QByteArray> values;
    for (const auto& [key, value] : headers) {
        if (sameName(key, name)) {
            values.append(value);
        }
    }
    return values;
}

Admission refused(Admission::Route route, const char* code, const QString& message,
                  HeaderList extra = {})
{
    Admission admission;
    admission.route = route;
    admission.code = QString::fromLatin1(code);
    admission.message = message;
    admission.extra = std::move(extra);
    return admission;
}

// Proxy-Authorization: Basic base64(NAME:SECRET), as every HTTP client sends for
// http://NAME:SECRET@host:port proxy URLs.
std::optional<QString> proxyAgent(const HeaderList& headers, const AgentDirectory& agents)
{
    const QByteArray value = valuesOf(headers, "Proxy-Authorization").join(", ");
    if (value.size() <= 6 || !sameName(QByteArrayView(value).first(6), "basic ")) {
        return std::nullopt;
    }
    return agents.verify(QByteArray::fromBase64(value.mid(6).trimmed()));
}

} // namespace

std::optional<qint64> announcedBody(const HeaderList& headers)
{
    if (!valuesOf(headers, "Transfer-Encoding").isEmpty()) {
        return -1;
    }
    const qint64 length = valuesOf(headers, "Content-Length").value(0).trimmed().toLongLong();
    return length > 0 ? std::optional<qint64>(length) : std::nullopt;
}

Admission admitHead(QByteArrayView method, QByteArrayView target, const HeaderList& headers,
                    const QString& tunnelAgent, const AdmissionPolicy& policy)
{
    using Route = Admission::Route;
    const HeaderList challenge{{"Proxy-Authenticate", "Basic realm=\"L402 Wallet\""}};
    const QString proxyHelp = QStringLiteral(
        "The wallet's proxy needs an agent credential: %1=http://NAME:SECRET@127.0.0.1:%2 (see "
        "'l402-wallet agent add').");
    Admission admission;
    if (method == "CONNECT") {
        admission.route = Route::Connect;
        const auto agent = proxyAgent(headers, policy.agents);
        if (!agent) {
            return refused(Route::Connect, "proxy_auth_required",
                           proxyHelp.arg(QStringLiteral("HTTPS_PROXY")).arg(policy.port),
                           challenge);
        }
        admission.agent = *agent;
        return admission;
    }
    if (!tunnelAgent.isEmpty() && target.startsWith('/')) {
        admission.route = Route::Tunnelled; // the CONNECT proved who this is
        admission.agent = tunnelAgent;
        return admission;
    }
    if (target.startsWith("http://") || target.startsWith("https://")) {
        admission.route = Route::Forward;
        const auto agent = proxyAgent(headers, policy.agents);
        if (!agent) {
            return refused(Route::Forward, "proxy_auth_required",
                           proxyHelp.arg(QStringLiteral("HTTP_PROXY")).arg(policy.port), challenge);
        }
        admission.agent = *agent;
        return admission;
    }
    if (target.startsWith("/gw/")) {
        admission.route = Route::Gateway;
        // DNS rebinding and CSRF: only loopback names reach the gateway, never a browser page.
        if (!policy.hostAllowed(valuesOf(headers, "Host").join(", "))) {
            return refused(Route::Gateway, "host_not_allowed",
                           QStringLiteral("The gateway answers only to requests addressed to "
                                          "127.0.0.1, ::1 or localhost."));
        }
        if (!valuesOf(headers, "Origin").isEmpty()) {
            return refused(Route::Gateway, "forbidden_origin",
                           QStringLiteral("Browser pages may not use the wallet's gateway."));
        }
        const auto agent = policy.agents.verify(valuesOf(headers, "L402-Wallet-Agent").join(", "));
        if (!agent) {
            return refused(Route::Gateway, "agent_auth_required",
                           QStringLiteral("The gateway needs the header 'L402-Wallet-Agent: "
                                          "NAME:SECRET' (see 'l402-wallet agent add')."));
        }
        admission.agent = *agent;
        return admission;
    }
    // The proxy's own page takes no body: one announced is refused unread.
    if (announcedBody(headers)) {
        return refused(Route::Local, "not_found",
                       QStringLiteral("This is the L402 Wallet proxy: use it as HTTP_PROXY, or "
                                      "the gateway form /gw/https/<host>/<path>."));
    }
    return admission;
}

} // namespace l402::proxy
