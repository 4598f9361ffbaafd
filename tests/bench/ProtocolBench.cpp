// Decoding throughput of the protocol parsers: BOLT 11 invoices (with signature recovery or
// n verification), macaroons, and WWW-Authenticate challenges.
#include "core/protocol/Bolt11.h"
#include "core/protocol/Challenge.h"
#include "core/protocol/Macaroon.h"
#include "tests/bench/BenchUtil.h"
#include "tests/support/TestData.h"

#include <QCoreApplication>
#include <QJsonObject>

#include <cstdlib>

using namespace l402::protocol;

int main(int argc, char** argv)
{
    QCoreApplication application(argc, argv);
    const QByteArray key =
        QByteArray::fromHex("e126f68f7eafcc8b74f54d269fe206be715000f94dac067d1c04a8ca3b2db734");
    InvoiceDraft draft;
    draft.network = Network::Bitcoin;
    draft.amountMsat = 21'000;
    draft.timestamp = 1'700'000'000;
    draft.paymentHash = QByteArray(32, '\x01');
    draft.paymentSecret = QByteArray(32, '\x02');
    draft.description = QStringLiteral("1 weather forecast");
    draft.features = {8, 14, 17};
    const QString recovered = encodeInvoice(draft, key).value();
    draft.includePayeeField = true;
    const QString withPayee = encodeInvoice(draft, key).value();

    int failures = 0;
    l402::bench::reportRate("bolt11 decode (recover payee)", 5000,
                            [&](int) { failures += decodeInvoice(recovered).ok() ? 0 : 1; });
    l402::bench::reportRate("bolt11 decode (verify against n)", 5000,
                            [&](int) { failures += decodeInvoice(withPayee).ok() ? 0 : 1; });

    L402Identifier identifier{0, QByteArray(32, '\x01'), QByteArray(32, '\x02')};
    const Macaroon macaroon =
        Macaroon::mint("root-key", identifier.encode(), QStringLiteral("aperture"))
            .withFirstPartyCaveat("services=weather:0")
            .withFirstPartyCaveat("weather_capabilities=forecast")
            .withFirstPartyCaveat("weather_valid_until=1900000000");
    const QByteArray base64 = macaroon.toBase64();
    l402::bench::reportRate("macaroon decode (base64 V2, 3 caveats)", 200000,
                            [&](int) { failures += Macaroon::fromBase64(base64).ok() ? 0 : 1; });
    l402::bench::reportRate("macaroon decode + caveats + L402 id", 200000, [&](int) {
        auto parsed = Macaroon::fromBase64(base64);
        failures += parsed.ok() && L402Identifier::parse(parsed->identifier()).ok() &&
                            !ApertureCaveats::fromMacaroon(parsed.value()).services.isEmpty()
                        ? 0
                        : 1;
    });

    const QList<QByteArray> headers = {
        QByteArray("LSAT macaroon=\"") + base64 + "\", invoice=\"" + recovered.toLatin1() + "\"",
        QByteArray("L402 macaroon=\"") + base64 + "\", invoice=\"" + recovered.toLatin1() + "\""};
    l402::bench::reportRate("challenge parse (Aperture, 2 headers)", 200000, [&](int) {
        failures += parseChallenges(headers).l402.size() == 2 ? 0 : 1;
    });
    if (failures != 0) {
        std::fprintf(stderr, "benchmark inputs failed to decode %d times\n", failures);
        return EXIT_FAILURE;
    }
    return EXIT_SUCCESS;
}
