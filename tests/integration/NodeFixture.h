#pragma once

#include "core/node/LightningNode.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <functional>
#include <memory>
#include <optional>

namespace l402::test {

// One backend's faithful double plus the ways to configure its LightningNode against it.
// NodeConformanceTest runs the same test bodies over every registered fixture.
class NodeFixture {
public:
    // What the double does with the next payment.
    enum class PayBehaviour {
        Succeed,         // a final success with the preimage and a fee
        Fail,            // a definite failure (no route)
        UncertainError,  // an error answer that does not prove nothing was paid (LND's error
                         // line on 200, an HTTP 500...): the payment never started at the node
        DropThenSucceed, // the connection drops mid-payment; the node then settles it
        DropThenFail,    // the connection drops mid-payment; the node then fails it
        Hang,            // the node never answers; the payment stays pending at the node
        WrongPreimage,   // a "success" with a preimage that is not the hash's
    };

    virtual ~NodeFixture() = default;
    virtual QString name() const = 0;
    [[nodiscard]] virtual bool start() = 0;

    // Backends configured correctly, with wrong credentials, and (for TLS backends) trusting
    // a certificate other than the double's (nullptr when the backend has no such notion, as
    // for the demo node's credentials or an in-process node's shutdown).
    virtual std::unique_ptr<node::LightningNode> node() = 0;
    virtual std::unique_ptr<node::LightningNode> nodeWithWrongCredentials() = 0;
    virtual std::unique_ptr<node::LightningNode> nodeWithWrongCertificate() = 0;
    // Stops the double and returns a node pointed at where it was.
    virtual std::unique_ptr<node::LightningNode> nodeAfterShutdown() = 0;

    // Behaviours a fixture cannot produce (the demo node has no transport to drop) are
    // skipped by the tests that need them.
    virtual bool supports(PayBehaviour) const { return true; }
    // An invoice this backend's payee issues, when the backend can only pay its own payee
    // (the demo node); nullopt lets the test sign its own.
    struct Invoice {
        QString text;
        QByteArray paymentHash;
        QByteArray preimage;
    };
    virtual std::optional<Invoice> issueInvoice(int64_t /*amountMsat*/) { return std::nullopt; }

    // Ends a payment the node still holds pending (after PayBehaviour::Hang); false when the
    // fixture cannot (the demo node never leaves a payment pending).
    virtual bool settlePending(const QByteArray& /*paymentHash*/, bool /*succeed*/)
    {
        return false;
    }

    // Whether a second pay of a pending hash reports the end itself (true), or only "in
    // flight" and leaves it to the lookup (NWC has no way to follow a payment).
    virtual bool followsPendingPayments() const { return true; }

    // What the node's own record of a hash says (its lookup) after a pay answer that reads
    // like a failure but does not prove nothing went out.
    enum class NodeRecord {
        Pending,    // the node still has the payment in flight
        Succeeded,  // it paid (a repeat of a paid hash)
        Failed,     // the record agrees: it failed
        Unreadable, // the lookup errors, or the service has no lookup at all
    };
    // The next pay gets this backend's real failure answer for a hash it is paying or paid
    // (LNbits' 520 "Insufficient balance.", xpay's 209, LND's 500, phoenixd's reason, NWC's
    // PAYMENT_FAILED) while its record of the hash is `record`. False when the backend has
    // no such answer (the demo node).
    virtual bool failUnclearly(NodeRecord /*record*/) { return false; }

    // How much a lookup can tell (NIP-47 lets a service omit `state`, or lookup_invoice).
    enum class LookupDepth {
        Full,        // pending, settled and failed apart
        SettledOnly, // settled is seen (settled_at, preimage); pending and failed look alike
        None,        // no lookup: nothing after a pay's own answer is ever known
    };
    virtual LookupDepth lookupDepth() const { return LookupDepth::Full; }

    virtual void registerPreimage(const QByteArray& preimage) = 0;
    virtual void setPayBehaviour(PayBehaviour behaviour) = 0;
    virtual void setBalanceMsat(int64_t msat) = 0;
    // Payments the node actually made for a hash (never more than one may succeed).
    virtual int paymentsMade(const QByteArray& paymentHash) const = 0;
    // Calls that broke the API's rules (e.g. a pay without a fee limit).
    virtual QStringList violations() const = 0;

    virtual QString expectedAlias() const = 0;
    // The smallest balance step the API reports (phoenixd: whole sats only).
    virtual int64_t balanceResolutionMsat() const { return 1; }
    virtual int64_t expectedFeeMsat() const = 0;
};

using NodeFixtureFactory = std::function<std::unique_ptr<NodeFixture>()>;

} // namespace l402::test
