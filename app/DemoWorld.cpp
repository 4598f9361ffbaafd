#include "app/DemoWorld.h"

namespace l402::app {

bool DemoWorld::start()
{
    auto ledger = m_ledger;
    m_api = std::make_unique<demo::PaidApiServer>(
        [ledger](int64_t amountMsat, const QString& description) {
            const auto issued = ledger->issueInvoice(amountMsat, description);
            return Result<demo::IssuedInvoice>(
                demo::IssuedInvoice{issued.invoice, issued.paymentHash});
        },
        SystemClock::instance());
    m_api->addDemoEndpoints();
    return m_api->listen(kPreferredPort) || m_api->listen(0);
}

QString DemoWorld::tryLine() const
{
    return QStringLiteral("l402-wallet --demo fetch %1")
        .arg(url(QStringLiteral("/v1/quote")).toString());
}

} // namespace l402::app
