#pragma once

#include "core/node/LnbitsNode.h"
#include "tests/integration/NodeFixture.h"
#include "tests/support/FakeLnbits.h"
#include "tests/support/TestCertificates.h"

#include <QHash>

#include <memory>

namespace l402::test {

// LNbits as most people run it: plain HTTP on the LAN. The wrong-certificate case runs a
// second double over HTTPS and trusts another certificate than the one it presents.
class LnbitsFixture final : public NodeFixture {
public:
    QString name() const override { return QStringLiteral("lnbits"); }
    bool start() override { return m_lnbits.start(); }

    std::unique_ptr<node::LightningNode> node() override
    {
        return std::make_unique<node::LnbitsNode>(config());
    }
    std::unique_ptr<node::LightningNode> nodeWithWrongCredentials() override
    {
        node::LnbitsNode::Config wrong = config();
        wrong.adminKey = QByteArrayLiteral("0123456789abcdef0123456789abcdef");
        return std::make_unique<node::LnbitsNode>(wrong);
    }
    std::unique_ptr<node::LightningNode> nodeWithWrongCertificate() override
    {
        m_tlsLnbits = std::make_unique<FakeLnbits>();
        if (!m_tlsLnbits->startTls()) {
            return nullptr;
        }
        node::LnbitsNode::Config wrong = config();
        wrong.url = m_tlsLnbits->url();
        wrong.adminKey = m_tlsLnbits->adminKey();
        wrong.caCertificates = {makeSelfSignedCertificate().value().certificate()};
        return std::make_unique<node::LnbitsNode>(wrong);
    }
    std::unique_ptr<node::LightningNode> nodeAfterShutdown() override
    {
        node::LnbitsNode::Config stopped = config();
        m_lnbits.server().close();
        return std::make_unique<node::LnbitsNode>(stopped);
    }

    void registerPreimage(const QByteArray& preimage) override
    {
        m_lnbits.registerPreimage(preimage);
    }
    void setPayBehaviour(PayBehaviour behaviour) override
    {
        using B = FakeLnbits::PayBehaviour;
        // A success first answers "pending" and is polled: LNbits' slow-funding-source path.
        static const QHash<int, B> map = {
            {int(PayBehaviour::Succeed), B::PendingThenSucceed},
            {int(PayBehaviour::Fail), B::Fail},
            {int(PayBehaviour::UncertainError), B::ServerError},
            {int(PayBehaviour::DropThenSucceed), B::DropThenSucceed},
            {int(PayBehaviour::DropThenFail), B::DropThenFail},
            {int(PayBehaviour::Hang), B::Hang},
            {int(PayBehaviour::WrongPreimage), B::WrongPreimage},
        };
        m_lnbits.setPayBehaviour(map.value(int(behaviour)));
    }
    bool failUnclearly(NodeRecord record) override
    {
        m_lnbits.setPayBehaviour(FakeLnbits::PayBehaviour::UnclearFailure);
        m_lnbits.setUnclearRecord(record == NodeRecord::Succeeded ? QStringLiteral("success")
                                  : record == NodeRecord::Failed  ? QStringLiteral("failed")
                                                                  : QStringLiteral("pending"));
        m_lnbits.setStatusBroken(record == NodeRecord::Unreadable);
        return true;
    }
    void setBalanceMsat(int64_t msat) override { m_lnbits.setBalanceMsat(msat); }
    bool settlePending(const QByteArray& paymentHash, bool succeed) override
    {
        m_lnbits.settle(paymentHash, succeed);
        return true;
    }
    int paymentsMade(const QByteArray& paymentHash) const override
    {
        return m_lnbits.attempts(paymentHash);
    }
    QStringList violations() const override { return m_lnbits.violations(); }
    QString expectedAlias() const override { return QStringLiteral("fake-lnbits wallet"); }
    int64_t expectedFeeMsat() const override { return 2'345; }

    FakeLnbits& lnbits() { return m_lnbits; }

    node::LnbitsNode::Config config() const
    {
        node::LnbitsNode::Config config;
        config.url = m_lnbits.url();
        config.adminKey = m_lnbits.adminKey();
        config.network = protocol::Network::Regtest;
        config.responseSlack = std::chrono::milliseconds(500);
        config.pollInterval = std::chrono::milliseconds(20);
        return config;
    }

private:
    FakeLnbits m_lnbits;
    std::unique_ptr<FakeLnbits> m_tlsLnbits;
};

} // namespace l402::test
