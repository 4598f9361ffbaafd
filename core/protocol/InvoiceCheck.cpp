#include "core/protocol/InvoiceCheck.h"

#include "core/crypto/Digest.h"

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
    if (!expectations.expectedPaymentHash.isEmpty() &&
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
