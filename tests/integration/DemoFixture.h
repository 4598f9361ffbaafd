#pragma once

#include "core/node/DemoNode.h"
#include "tests/integration/NodeFixture.h"

namespace l402::test {

// The demo node is its own double: an in-process ledger with simulated funds that pays only
// the demo payee. It has no credentials, certificate or transport, so the rows about those
// are skipped; it fails definitely by running out of (simulated) money.
class DemoFixture final : public NodeFixture {
public:
    QString name() const override { return QStringLiteral("demo"); }
    bool start() override { return true; }

    std::unique_ptr<node::LightningNode> node() override
    {
        return std::make_unique<node::DemoNode>(m_ledger);
    }
    std::unique_ptr<node::LightningNode> nodeWithWrongCredentials() override { return nullptr; }
    std::unique_ptr<node::LightningNode> nodeWithWrongCertificate() override { return nullptr; }
    std::unique_ptr<node::LightningNode> nodeAfterShutdown() override { return nullptr; }

    bool supports(PayBehaviour behaviour) const override
    {
        return behaviour == PayBehaviour::Succeed || behaviour == PayBehaviour::Fail;
    }
    std::optional<Invoice> issueInvoice(int64_t amountMsat) override
    {
        const auto issued = m_ledger->issueInvoice(amountMsat, QStringLiteral("demo conformance"));
        return Invoice{issued.invoice, issued.paymentHash, issued.preimage};
    }
    void registerPreimage(const QByteArray&) override {}
    void setPayBehaviour(PayBehaviour behaviour) override
    {
        if (behaviour == PayBehaviour::Fail) {
            m_ledger->setBalanceMsat(0); // nothing left to pay with
        }
    }
    void setBalanceMsat(int64_t msat) override { m_ledger->setBalanceMsat(msat); }
    int paymentsMade(const QByteArray& paymentHash) const override
    {
        return m_ledger->hasPaid(paymentHash) ? 1 : 0;
    }
    QStringList violations() const override { return {}; }
    QString expectedAlias() const override { return QStringLiteral("Demo node (simulated funds)"); }
    int64_t expectedFeeMsat() const override { return 0; }

private:
    const std::shared_ptr<node::DemoLedger> m_ledger = std::make_shared<node::DemoLedger>();
};

} // namespace l402::test
