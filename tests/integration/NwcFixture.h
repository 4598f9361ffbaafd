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
class NwcFixture final : public NodeFixture {
public:
    QString name() const override { return QStringLiteral("nwc"); }
    bool start() override { return m_wallet.start(); }

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
    QString expectedAlias() const override { return FakeNwcWallet::alias(); }
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
        return config;
    }

private:
    FakeNwcWallet m_wallet;
};

} // namespace l402::test
