#pragma once

#include "core/node/LndNode.h"
#include "tests/integration/NodeFixture.h"
#include "tests/support/FakeLnd.h"
#include "tests/support/TestCertificates.h"

namespace l402::test {

class LndFixture final : public NodeFixture {
public:
    QString name() const override { return QStringLiteral("lnd"); }
    bool start() override { return m_lnd.start(); }

    std::unique_ptr<node::LightningNode> node() override
    {
        return std::make_unique<node::LndNode>(config());
    }
    std::unique_ptr<node::LightningNode> nodeWithWrongCredentials() override
    {
        node::LndNode::Config wrong = config();
        wrong.macaroon = QByteArray("not the macaroon");
        return std::make_unique<node::LndNode>(wrong);
    }
    std::unique_ptr<node::LightningNode> nodeWithWrongCertificate() override
    {
        node::LndNode::Config wrong = config();
        wrong.tlsCertificate = {makeSelfSignedCertificate().value().certificate()};
        return std::make_unique<node::LndNode>(wrong);
    }
    std::unique_ptr<node::LightningNode> nodeAfterShutdown() override
    {
        node::LndNode::Config stopped = config();
        m_lnd.server().close();
        return std::make_unique<node::LndNode>(stopped);
    }

    void registerPreimage(const QByteArray& preimage) override { m_lnd.registerPreimage(preimage); }
    void setPayBehaviour(PayBehaviour behaviour) override
    {
        using B = FakeLnd::PayBehaviour;
        static const QHash<int, B> map = {
            {int(PayBehaviour::Succeed), B::Succeed},
            {int(PayBehaviour::Fail), B::Fail},
            {int(PayBehaviour::UncertainError), B::ErrorLine},
            {int(PayBehaviour::DropThenSucceed), B::DropThenSucceed},
            {int(PayBehaviour::DropThenFail), B::DropThenFail},
            {int(PayBehaviour::Hang), B::Hang},
            {int(PayBehaviour::WrongPreimage), B::WrongPreimage},
        };
        m_lnd.setPayBehaviour(map.value(int(behaviour)));
    }
    bool failUnclearly(NodeRecord record) override
    {
        m_lnd.setPayBehaviour(FakeLnd::PayBehaviour::UnclearFailure);
        m_lnd.setUnclearRecord(record == NodeRecord::Succeeded ? QStringLiteral("SUCCEEDED")
                               : record == NodeRecord::Failed  ? QStringLiteral("FAILED")
                                                               : QStringLiteral("IN_FLIGHT"));
        m_lnd.setTrackBroken(record == NodeRecord::Unreadable);
        return true;
    }
    void setBalanceMsat(int64_t msat) override { m_lnd.setBalanceMsat(msat); }
    bool settlePending(const QByteArray& paymentHash, bool succeed) override
    {
        m_lnd.settle(paymentHash, succeed);
        return true;
    }
    int paymentsMade(const QByteArray& paymentHash) const override
    {
        return m_lnd.payments().contains(paymentHash) ? 1 : 0;
    }
    QStringList violations() const override { return m_lnd.violations(); }
    QString expectedAlias() const override { return QStringLiteral("fake-lnd"); }
    int64_t expectedFeeMsat() const override { return 1'234; }

    FakeLnd& lnd() { return m_lnd; }

private:
    node::LndNode::Config config() const
    {
        node::LndNode::Config config;
        config.url = m_lnd.url();
        config.macaroon = m_lnd.macaroon();
        config.tlsCertificate = {m_lnd.certificate()};
        config.responseSlack = std::chrono::milliseconds(500);
        return config;
    }

    FakeLnd m_lnd;
};

} // namespace l402::test
