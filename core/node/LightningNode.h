#pragma once

#include "core/protocol/Bolt11.h"
#include "core/util/Result.h"

#include <QByteArray>
#include <QObject>
#include <QString>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

namespace l402::node {

// Error codes every backend maps its own failures onto (Error::code).
namespace node_error {
inline constexpr auto kUnreachable = "node_unavailable";   // connect/TLS/timeout: no answer
inline constexpr auto kUnauthorized = "node_unauthorized"; // bad macaroon/rune/key/password
inline constexpr auto kCertificate = "node_certificate";   // TLS certificate does not match
inline constexpr auto kProtocol = "node_protocol";         // the node answered nonsense
inline constexpr auto kNotFound = "payment_not_found";     // lookup: the node never saw it
inline constexpr auto kCancelled = "cancelled";
} // namespace node_error

struct NodeInfo {
    QString backend; // "lnd", "cln", ...
    QString alias;
    QByteArray pubkey; // 33 bytes when the backend tells
    protocol::Network network = protocol::Network::Bitcoin;
};

struct Balance {
    int64_t spendableMsat = 0;
};

struct PayRequest {
    QString invoice;
    QByteArray paymentHash; // from the decoded invoice; what lookup() is keyed on
    int64_t amountMsat = 0;
    int64_t maxFeeMsat = 0;
    std::chrono::seconds timeout{60};
};

// The outcome of a payment as far as the node can tell. Unknown is never Failed: a timeout,
// a dropped stream or a node restart mid-payment is InFlight, and the caller reconciles with
// lookup() before it may treat the money as unspent.
struct PaymentResult {
    enum class Outcome { Succeeded, Failed, InFlight };
    Outcome outcome = Outcome::InFlight;
    QByteArray preimage; // 32 bytes when Succeeded
    int64_t feeMsat = 0;
    QString failureCode; // stable code when Failed (e.g. "no_route", "insufficient_balance")
    QString failureMessage;

    static PaymentResult inFlight(QString why)
    {
        PaymentResult result;
        result.failureMessage = std::move(why);
        return result;
    }
    static PaymentResult failed(QString code, QString message)
    {
        PaymentResult result;
        result.outcome = Outcome::Failed;
        result.failureCode = std::move(code);
        result.failureMessage = std::move(message);
        return result;
    }
};

// Cancels the call it came from: the callback is then never invoked. A cancelled pay() may
// still complete at the node, so its payment must be reconciled like an in-flight one.
class CallHandle {
public:
    CallHandle()
        : m_cancelled(std::make_shared<bool>(false))
    {
    }
    void cancel() const { *m_cancelled = true; }
    bool cancelled() const { return *m_cancelled; }

private:
    std::shared_ptr<bool> m_cancelled;
};

// One asynchronous interface over every backend. Calls never block the caller's event loop,
// each has its own timeout, and every callback runs on the thread that made the call.
class LightningNode {
public:
    virtual ~LightningNode() = default;
    virtual QString backendName() const = 0;
    virtual CallHandle info(std::function<void(Result<NodeInfo>)> done) = 0;
    virtual CallHandle balance(std::function<void(Result<Balance>)> done) = 0;
    virtual CallHandle pay(const PayRequest& request, std::function<void(PaymentResult)> done) = 0;
    // What the node knows of a payment hash; node_error::kNotFound when it never saw it.
    virtual CallHandle lookup(const QByteArray& paymentHash,
                              std::function<void(Result<PaymentResult>)> done) = 0;
};

} // namespace l402::node
