#pragma once

#include "core/proxy/CurlMulti.h"

#include <QByteArray>
#include <QString>

#include <functional>
#include <optional>

namespace l402::proxy {

class AgentDirectory;

// Who a request head says is asking, decided when the head is complete and before a single
// body byte is read, so a client without a credential can make the proxy hold no more than
// one head (kMaxHeaderBytes): answered 407/401/403 and closed. Parsed once here; the
// connection acts on the typed result.
struct Admission {
    enum class Route {
        Connect,   // CONNECT host:port (Proxy-Authorization)
        Forward,   // absolute-form http(s):// (Proxy-Authorization)
        Tunnelled, // origin-form inside an admitted CONNECT tunnel
        Gateway,   // /gw/<scheme>/<authority>/<path> (L402-Wallet-Agent, loopback Host)
        Local,     // the proxy's own page
    };
    Route route = Route::Local;
    QString agent;    // the proven agent; empty for Local
    QString code;     // empty when admitted; else the contract's refusal code
    QString message;  // what the client should do
    HeaderList extra; // Proxy-Authenticate for a 407
    bool admitted() const { return code.isEmpty(); }
};

struct AdmissionPolicy {
    const AgentDirectory& agents;
    std::function<bool(QByteArrayView hostHeader)> hostAllowed; // loopback names and ours
    quint16 port = 0;                                           // for the messages
};

// The body a request head announces: nullopt for none, its Content-Length, or -1 for
// chunked (the parser has already refused heads that announce both, or several lengths).
std::optional<qint64> announcedBody(const HeaderList& headers);

// `tunnelAgent` is the agent of the CONNECT a request arrives inside, empty otherwise.
Admission admitHead(QByteArrayView method, QByteArrayView target, const HeaderList& headers,
                    const QString& tunnelAgent, const AdmissionPolicy& policy);

} // namespace l402::proxy
