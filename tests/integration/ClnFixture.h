#pragma once

#include "core/node/ClnNode.h"
#include "tests/integration/NodeFixture.h"
#include "tests/support/FakeCln.h"
#include "tests/support/TestCertificates.h"

#include <QHash>

namespace l402::test {

class ClnFixture final : public NodeFixture {
public:
    using Plugin = FakeCln::Plugin;
    explicit ClnFixture(Plugin plugin = Plugin::Xpay)
        : m_plugin(plugin)
    {
        m_cln.setPlugin(plugin);
    }
    QString name() const override
    {
        return m_plugin == Plugin::Xpay ? QStringLiteral("cln") : QStringLiteral("cln-pay");
    }
    bool start() override { return m_cln.start(); }

    std::unique_ptr<node::LightningNode> node() override
    {
        return std::make_unique<node::ClnNode>(config());
    }
    std::unique_ptr<node::LightningNode> nodeWithWrongCredentials() override
    {
        node::ClnNode::Config wrong = config();
        wrong.rune = QByteArrayLiteral("OSqc7ixY6F-gjcigBfxtzKUI54uzgFSA6YfBQoWGDV89MA==");
        return std::make_unique<node::ClnNode>(wrong);
    }
    std::unique_ptr<node::LightningNode> nodeWithWrongCertificate() override
    {
        // Another node's ca.pem: the double's server.pem does not chain to it.
        node::ClnNode::Config wrong = config();
        wrong.caCertificates = {makeCertificateChain().value().authority.certificate()};
        return std::make_unique<node::ClnNode>(wrong);
    }
    std::unique_ptr<node::LightningNode> nodeAfterShutdown() override
    {
        node::ClnNode::Config stopped = config();
        m_cln.server().close();
        return std::make_unique<node::ClnNode>(stopped);
    }

    void registerPreimage(const QByteArray& preimage) override { m_cln.registerPreimage(preimage); }
    void setPayBehaviour(PayBehaviour behaviour) override
    {
        using B = FakeCln::PayBehaviour;
        static const QHash<int, B> map = {
            {int(PayBehaviour::Succeed), B::Succeed},
            {int(PayBehaviour::Fail), B::Fail},
            {int(PayBehaviour::UncertainError), B::NoRpc},
            {int(PayBehaviour::DropThenSucceed), B::DropThenSucceed},
            {int(PayBehaviour::DropThenFail), B::DropThenFail},
            {int(PayBehaviour::Hang), B::Hang},
            {int(PayBehaviour::WrongPreimage), B::WrongPreimage},
        };
        m_cln.setPayBehaviour(map.value(int(behaviour)));
    }
    bool failUnclearly(NodeRecord record) override
    {
        using R = FakeCln::Record;
        m_cln.setPayBehaviour(FakeCln::PayBehaviour::UnclearFailure);
        m_cln.setUnclearRecord(record == NodeRecord::Succeeded ? R::Complete
                               : record == NodeRecord::Failed  ? R::Failed
                                                               : R::Pending);
        m_cln.setListpaysBroken(record == NodeRecord::Unreadable);
        return true;
    }
    void setBalanceMsat(int64_t msat) override { m_cln.setBalanceMsat(msat); }
    bool settlePending(const QByteArray& paymentHash, bool succeed) override
    {
        m_cln.settle(paymentHash, succeed);
        return true;
    }
    int paymentsMade(const QByteArray& paymentHash) const override
    {
        return m_cln.attempts(paymentHash);
    }
    QStringList violations() const override { return m_cln.violations(); }
    QString expectedAlias() const override { return QStringLiteral("fake-cln"); }
    int64_t expectedFeeMsat() const override { return 1'501; }

    FakeCln& cln() { return m_cln; }

    node::ClnNode::Config config() const
    {
        node::ClnNode::Config config;
        config.url = m_cln.url();
        config.rune = m_cln.rune();
        config.caCertificates = {m_cln.authority()};
        config.responseSlack = std::chrono::milliseconds(500);
        config.pollInterval = std::chrono::milliseconds(20);
        return config;
    }

private:
    Plugin m_plugin;
    FakeCln m_cln;
};

} // namespace l402::test
