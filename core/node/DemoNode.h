#pragma once

#include "core/node/LightningNode.h"

#include <QHash>

#include <memory>

namespace l402::node {

// The --demo world: simulated funds, and a payee (the built-in demo paid API) whose invoices
// are the only ones the demo node can pay. Nothing here touches a real network; everything is
// labelled "demo" wherever it is shown.
class DemoLedger {
public:
    explicit DemoLedger(int64_t startingBalanceMsat = 1'000'000'000); // 1,000,000 sat
    int64_t balanceMsat() const { return m_balanceMsat; }
    // "Reset demo funds" (and tests): the simulated balance is whatever the user says.
    void setBalanceMsat(int64_t msat) { m_balanceMsat = msat; }

    // The demo payee: issues signed regtest invoices and remembers their preimages.
    struct IssuedInvoice {
        QString invoice;
        QByteArray paymentHash;
        QByteArray preimage;
    };
    IssuedInvoice issueInvoice(int64_t amountMsat, const QString& description,
                               int64_t expirySeconds = 600);
    QByteArray payeePublicKey() const;
    bool hasPaid(const QByteArray& paymentHash) const { return m_payments.contains(paymentHash); }

private:
    friend class DemoNode;
    int64_t m_balanceMsat;
    QHash<QByteArray, PaymentResult> m_payments; // hash -> outcome, for paid invoices
};

class DemoNode final : public LightningNode {
public:
    explicit DemoNode(std::shared_ptr<DemoLedger> ledger)
        : m_ledger(std::move(ledger))
    {
    }

    QString backendName() const override { return QStringLiteral("demo"); }
    CallHandle info(std::function<void(Result<NodeInfo>)> done) override;
    CallHandle balance(std::function<void(Result<Balance>)> done) override;
    CallHandle pay(const PayRequest& request, std::function<void(PaymentResult)> done) override;
    CallHandle lookup(const QByteArray& paymentHash,
                      std::function<void(Result<PaymentResult>)> done) override;

private:
    std::shared_ptr<DemoLedger> m_ledger;
};

} // namespace l402::node
