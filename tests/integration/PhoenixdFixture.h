#pragma once

#include "core/node/PhoenixdNode.h"
#include "tests/integration/NodeFixture.h"
#include "tests/support/FakePhoenixd.h"

#include <QHash>

namespace l402::test {

// phoenixd as it runs by default: plain HTTP on loopback, so there is no certificate to get
// wrong (nodeWithWrongCertificate is nullptr and that row is skipped).
class PhoenixdFixture final : public NodeFixture {
public:
    QString name() const override { return QStringLiteral("phoenixd"); }
    bool start() override { return m_phoenixd.start(); }

    std::unique_ptr<node::LightningNode> node() override
    {
        return std::make_unique<node::PhoenixdNode>(config());
    }
    std::unique_ptr<node::LightningNode> nodeWithWrongCredentials() override
    {
        node::PhoenixdNode::Config wrong = config();
        wrong.password = QByteArrayLiteral("not-the-http-password");
        return std::make_unique<node::PhoenixdNode>(wrong);
    }
    std::unique_ptr<node::LightningNode> nodeWithWrongCertificate() override { return nullptr; }
    std::unique_ptr<node::LightningNode> nodeAfterShutdown() override
    {
        node::PhoenixdNode::Config stopped = config();
        m_phoenixd.server().close();
        return std::make_unique<node::PhoenixdNode>(stopped);
    }

    void registerPreimage(const QByteArray& preimage) override
    {
        m_phoenixd.registerPreimage(preimage);
    }
    void setPayBehaviour(PayBehaviour behaviour) override
    {
        using B = FakePhoenixd::PayBehaviour;
        static const QHash<int, B> map = {
            {int(PayBehaviour::Succeed), B::Succeed},
            {int(PayBehaviour::Fail), B::Fail},
            {int(PayBehaviour::UncertainError), B::ServerError},
            {int(PayBehaviour::DropThenSucceed), B::DropThenSucceed},
            {int(PayBehaviour::DropThenFail), B::DropThenFail},
            {int(PayBehaviour::Hang), B::Hang},
            {int(PayBehaviour::WrongPreimage), B::WrongPreimage},
        };
        m_phoenixd.setPayBehaviour(map.value(int(behaviour)));
    }
    bool failUnclearly(NodeRecord record) override
    {
        using R = FakePhoenixd::Record;
        m_phoenixd.setPayBehaviour(FakePhoenixd::PayBehaviour::UnclearFailure);
        m_phoenixd.setUnclearRecord(record == NodeRecord::Succeeded ? R::Paid
                                    : record == NodeRecord::Failed  ? R::Failed
                                                                    : R::Pending);
        m_phoenixd.setLookupBroken(record == NodeRecord::Unreadable);
        return true;
    }
    void setBalanceMsat(int64_t msat) override { m_phoenixd.setBalanceMsat(msat); }
    bool settlePending(const QByteArray& paymentHash, bool succeed) override
    {
        m_phoenixd.settle(paymentHash, succeed);
        return true;
    }
    int paymentsMade(const QByteArray& paymentHash) const override
    {
        return m_phoenixd.attempts(paymentHash);
    }
    QStringList violations() const override { return m_phoenixd.violations(); }
    // phoenixd has no alias.
    // /getbalance has balanceSat only (truncated to whole sats in phoenixd's Api.kt).
    int64_t balanceResolutionMsat() const override { return 1'000; }
    QString expectedAlias() const override { return QString(); }
    // The msat fee from the lookup, not the sat-truncated routingFeeSat (3 sat).
    int64_t expectedFeeMsat() const override { return 3'210; }

    FakePhoenixd& phoenixd() { return m_phoenixd; }

    node::PhoenixdNode::Config config() const
    {
        node::PhoenixdNode::Config config;
        config.url = m_phoenixd.url();
        config.password = m_phoenixd.password();
        config.responseSlack = std::chrono::milliseconds(500);
        config.pollInterval = std::chrono::milliseconds(20);
        return config;
    }

private:
    FakePhoenixd m_phoenixd;
};

} // namespace l402::test
