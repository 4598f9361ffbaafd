#pragma once

#include "core/crypto/Digest.h"
#include "core/crypto/Schnorr.h"
#include "core/node/NwcNode.h"
#include "tests/integration/NodeFixture.h"
#include "tests/support/FakeNwcWallet.h"

#include <QHash>

namespace l402::test {

// Nostr Wallet Connect against FakeNwcWallet on a real NIP-01 WebSocket relay.
// - wrong credentials: a client secret the wallet never issued; the wallet answers
//   UNAUTHORIZED ("This public key has no wallet connected", NIP-47 error codes);
// - wrong certificate: not applicable (the URI carries no certificate; wss:// relays use the
//   system trust store), so nodeWithWrongCertificate() is nullptr;
// - uncertain error: an INTERNAL error answer (the payment never started; lookup_invoice then
//   says NOT_FOUND);
// - after shutdown: the relay is closed.
// Services differ in what of 47.md they implement; each Service is one real kind.
class NwcFixture final : public NodeFixture {
public:
    enum class Service {
        Full,          // pay_invoice, get_balance, get_info, lookup_invoice with `state`
        WithoutState,  // lookup_invoice without the optional `state`
        WithoutLookup, // no lookup_invoice (NOT_IMPLEMENTED)
        WithoutInfo,   // no get_info (NOT_IMPLEMENTED): the chain is the configured one
    };
    explicit NwcFixture(Service service = Service::Full)
        : m_service(service)
    {
    }

    QString name() const override
    {
        switch (m_service) {
        case Service::WithoutState:
            return QStringLiteral("nwc-nostate");
        case Service::WithoutLookup:
            return QStringLiteral("nwc-nolookup");
        case Service::WithoutInfo:
            return QStringLiteral("nwc-noinfo");
        case Service::Full:
            break;
        }
        return QStringLiteral("nwc");
    }
    bool start() override
    {
        m_wallet.setLookupHasState(m_service != Service::WithoutState);
        m_wallet.setImplements(QStringLiteral("lookup_invoice"),
                               m_service != Service::WithoutLookup);
        m_wallet.setImplements(QStringLiteral("get_info"), m_service != Service::WithoutInfo);
        return m_wallet.start();
    }

    std::unique_ptr<node::LightningNode> node() override
    {
        return std::make_unique<node::NwcNode>(config());
    }
    std::unique_ptr<node::LightningNode> nodeWithWrongCredentials() override
    {
        node::NwcNode::Config wrong = config();
        for (;;) {
            wrong.secret = crypto::randomBytes(32);
            if (crypto::xOnlyPublicKey(wrong.secret)) {
                break;
            }
        }
        return std::make_unique<node::NwcNode>(wrong);
    }
    std::unique_ptr<node::LightningNode> nodeWithWrongCertificate() override { return nullptr; }
    std::unique_ptr<node::LightningNode> nodeAfterShutdown() override
    {
        node::NwcNode::Config stopped = config();
        m_wallet.relay().close();
        return std::make_unique<node::NwcNode>(stopped);
    }

    void registerPreimage(const QByteArray& preimage) override
    {
        m_wallet.registerPreimage(preimage);
    }
    void setPayBehaviour(PayBehaviour behaviour) override
    {
        using B = FakeNwcWallet::PayBehaviour;
        static const QHash<int, B> map = {
            {int(PayBehaviour::Succeed), B::Succeed},
            {int(PayBehaviour::Fail), B::Fail},
            {int(PayBehaviour::UncertainError), B::InternalError},
            {int(PayBehaviour::DropThenSucceed), B::DropThenSucceed},
            {int(PayBehaviour::DropThenFail), B::DropThenFail},
            {int(PayBehaviour::Hang), B::Hang},
            {int(PayBehaviour::WrongPreimage), B::WrongPreimage},
        };
        m_wallet.setPayBehaviour(map.value(int(behaviour)));
    }
    bool failUnclearly(NodeRecord record) override
    {
        using State = FakeNwcWallet::Payment::State;
        m_wallet.setPayBehaviour(FakeNwcWallet::PayBehaviour::UnclearFailure);
        m_wallet.setUnclearRecord(record == NodeRecord::Succeeded ? State::Settled
                                  : record == NodeRecord::Failed  ? State::Failed
                                                                  : State::Pending);
        m_wallet.setLookupBroken(record == NodeRecord::Unreadable);
        return true;
    }
    LookupDepth lookupDepth() const override
    {
        return m_service == Service::WithoutState    ? LookupDepth::SettledOnly
               : m_service == Service::WithoutLookup ? LookupDepth::None
                                                     : LookupDepth::Full;
    }
    void setBalanceMsat(int64_t msat) override { m_wallet.setBalanceMsat(msat); }
    bool followsPendingPayments() const override { return false; }
    bool settlePending(const QByteArray& paymentHash, bool succeed) override
    {
        m_wallet.settle(paymentHash, succeed);
        return true;
    }
    int paymentsMade(const QByteArray& paymentHash) const override
    {
        return m_wallet.paymentsMade(paymentHash);
    }
    QStringList violations() const override { return m_wallet.violations(); }
    // Without get_info the alias is the URI's lud16.
    QString expectedAlias() const override
    {
        return m_service == Service::WithoutInfo ? config().lud16 : FakeNwcWallet::alias();
    }
    int64_t expectedFeeMsat() const override { return 2'000; }

    FakeNwcWallet& wallet() { return m_wallet; }

    node::NwcNode::Config config() const
    {
        node::NwcNode::Config config = node::NwcNode::parseUri(m_wallet.connectionUri()).value();
        config.responseSlack = std::chrono::milliseconds(500);
        config.requestTimeout = std::chrono::milliseconds(5'000);
        config.connectTimeout = std::chrono::milliseconds(2'000);
        config.initialBackoff = std::chrono::milliseconds(100);
        config.maxBackoff = std::chrono::milliseconds(400);
        config.maxReconnectAttempts = 4;
        config.networkWithoutInfo = protocol::Network::Regtest; // `node set nwc --network`
        return config;
    }

private:
    Service m_service;
    FakeNwcWallet m_wallet;
};

} // namespace l402::test
