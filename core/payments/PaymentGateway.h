#pragma once

#include "core/payments/PaymentEngine.h"

#include <QList>
#include <QObject>

#include <functional>
#include <optional>

namespace l402::payments {

// What a client of the wallet (the proxy, fetch, MCP) needs from it. Results come back on
// `context`'s thread, and not at all once `context` is gone. Implemented by
// proxy::EngineGateway (the engine in this process, on any thread) and
// control::RemoteGateway (the engine of the wallet that is running, over its control socket).
class PaymentGateway {
public:
    virtual ~PaymentGateway() = default;
    // The token to send before any 402 (none: send the request bare).
    virtual void credentialFor(const policy::Origin& origin, const QString& path, QObject* context,
                               std::function<void(std::optional<Credential>)> done) = 0;
    // The request met a 402: the credential to retry with, or the refusal.
    virtual void paymentRequired(const RequestContext& request,
                                 const QList<QByteArray>& wwwAuthenticate, QObject* context,
                                 std::function<void(Result<Credential>)> done) = 0;
};

} // namespace l402::payments
