#include "core/protocol/InvoiceCheck.h"

#include "core/crypto/Digest.h"
#include "core/protocol/Challenge.h"

namespace l402::protocol {

Status checkDecodedInvoice(const Invoice& invoice, const InvoiceExpectations& expectations,
                           const Clock& clock)
{
    if (invoice.network != expectations.nodeNetwork) {
        return Status::failure(
            QLatin1String(check_error::kWrongNetwork),
            QStringLiteral("The invoice is for %1 but the node is on %2.")
                .arg(networkName(invoice.network), networkName(expectations.nodeNetwork)));
    }
    if (!invoice.amountMsat) {
        return Status::failure(QLatin1String(check_error::kAmountless),
                               QStringLiteral("The invoice has no amount, so the price is "
                                              "not known."));
    }
    if (expectations.binding == InvoiceExpectations::Binding::L402Macaroon &&
        expectations.expectedPaymentHash.size() != 32) {
        return Status::failure(QLatin1String(check_error::kInvalidChallenge),
                               QStringLiteral("The macaroon does not commit to a payment hash."));
    }
    if (expectations.binding == InvoiceExpectations::Binding::L402Macaroon &&
        !crypto::constantTimeEquals(invoice.paymentHash, expectations.expectedPaymentHash)) {
        return Status::failure(QLatin1String(check_error::kInvoiceMismatch),
                               QStringLiteral("The invoice pays a different payment hash than "
                                              "the macaroon commits to."));
    }
    if (clock.nowSeconds() + expectations.expiryMarginSeconds >= invoice.expiresAt()) {
        return Status::failure(QLatin1String(check_error::kInvoiceExpired),
                               QStringLiteral("The invoice has expired."));
    }
    return success();
}

Status checkPaymentChallenge(const PaymentChallenge& challenge, const Invoice& invoice)
{
    const auto mismatch = [](const QString& what) {
        return Status::failure(
            QLatin1String(check_error::kInvoiceMismatch),
            QStringLiteral("The payment challenge's %1 does not match its invoice.").arg(what));
    };
    if (!challenge.paymentHashHex.isEmpty() &&
        QByteArray::fromHex(challenge.paymentHashHex.toLatin1()) != invoice.paymentHash) {
        return mismatch(QStringLiteral("payment hash"));
    }
    if (!challenge.network.isEmpty()) {
        const auto network = networkFromName(challenge.network);
        if (!network || *network != invoice.network) {
            return mismatch(QStringLiteral("network"));
        }
    }
    if (!challenge.amount.isEmpty()) {
        bool ok = false;
        const qint64 amount = challenge.amount.toLongLong(&ok);
        const bool sats =
            challenge.currency.isEmpty() ||
            challenge.currency.compare(QLatin1String("sat"), Qt::CaseInsensitive) == 0;
        if (!ok || !sats || !invoice.amountMsat || amount < 0 ||
            *invoice.amountMsat != static_cast<uint64_t>(amount) * 1000) {
            return mismatch(QStringLiteral("amount"));
        }
    }
    return success();
}

Result<Invoice> checkInvoiceForPayment(QStringView invoiceText,
                                       const InvoiceExpectations& expectations, const Clock& clock)
{
    auto invoice = decodeInvoice(invoiceText);
    if (!invoice) {
        const bool badSignature =
            invoice.error().code == QLatin1String(invoice_error::kInvalidSignature);
        return Result<Invoice>::failure(QLatin1String(badSignature
                                                          ? check_error::kInvalidSignature
                                                          : check_error::kInvalidChallenge),
                                        invoice.error().message);
    }
    if (auto status = checkDecodedInvoice(invoice.value(), expectations, clock); !status) {
        return Result<Invoice>(status.error());
    }
    return invoice;
}

} // namespace l402::protocol
