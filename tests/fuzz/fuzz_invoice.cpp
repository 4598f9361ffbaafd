// BOLT 11 decoding of arbitrary text: never crashes, and what decodes is self-consistent.
#include "core/protocol/Bolt11.h"
#include "core/protocol/DecodeReport.h"

#include <QString>

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const QString text =
        QString::fromLatin1(reinterpret_cast<const char*>(data), static_cast<qsizetype>(size));
    auto invoice = l402::protocol::decodeInvoice(text);
    if (invoice.ok()) {
        (void)l402::protocol::invoiceToJson(invoice.value());
        // The normalised text decodes again to the same payment.
        auto again = l402::protocol::decodeInvoice(invoice->text);
        if (!again.ok() || again->paymentHash != invoice->paymentHash ||
            again->amountMsat != invoice->amountMsat || again->payee != invoice->payee) {
            std::abort();
        }
    }
    return 0;
}
