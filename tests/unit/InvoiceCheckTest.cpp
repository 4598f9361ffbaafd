#include "core/protocol/InvoiceCheck.h"
#include "core/protocol/Bech32.h"
#include "core/protocol/Challenge.h"
#include "tests/support/ManualClock.h"

#include <QTest>

using namespace l402::protocol;

namespace {
const QByteArray kKey =
    QByteArray::fromHex("e126f68f7eafcc8b74f54d269fe206be715000f94dac067d1c04a8ca3b2db734");
constexpr qint64 kCreated = 1'700'000'000;

InvoiceDraft draft()
{
    InvoiceDraft d;
    d.network = Network::Regtest;
    d.amountMsat = 21'000;
    d.timestamp = kCreated;
    d.expirySeconds = 600;
    d.paymentHash = QByteArray(32, '\x42');
    d.paymentSecret = QByteArray(32, '\x11');
    d.description = QStringLiteral("1 API call");
    d.features = {8, 14};
    return d;
}
} // namespace

// DESIGN §3 invariant 1: pay only an invoice that verifies (signature, expiry, network,
// amount, and the payment hash the macaroon commits to).
class InvoiceCheckTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void outcomes_data()
    {
        QTest::addColumn<QString>("invoice");
        QTest::addColumn<int>("nodeNetwork");
        QTest::addColumn<QByteArray>("expectedHash");
        QTest::addColumn<qint64>("now");
        QTest::addColumn<QString>("expectedCode"); // empty: ok; rows named "MPP..." bind MPP

        const QString good = encodeInvoice(draft(), kKey).value();
        const QByteArray hash(32, '\x42');
        QTest::newRow("ok") << good << int(Network::Regtest) << hash << kCreated + 10 << QString();
        QTest::newRow("MPP charge (no macaroon hash)")
            << good << int(Network::Regtest) << QByteArray() << kCreated << QString();
        QTest::newRow("L402 without the macaroon's hash")
            << good << int(Network::Regtest) << QByteArray() << kCreated
            << QStringLiteral("invalid_challenge");
        QTest::newRow("hash mismatch") << good << int(Network::Regtest) << QByteArray(32, '\x43')
                                       << kCreated << QStringLiteral("invoice_mismatch");
        QTest::newRow("wrong network")
            << good << int(Network::Bitcoin) << hash << kCreated << QStringLiteral("wrong_network");
        QTest::newRow("expired exactly") << good << int(Network::Regtest) << hash << kCreated + 600
                                         << QStringLiteral("invoice_expired");
        QTest::newRow("inside the safety margin")
            << good << int(Network::Regtest) << hash << kCreated + 595
            << QStringLiteral("invoice_expired");
        QTest::newRow("one second before the margin")
            << good << int(Network::Regtest) << hash << kCreated + 589 << QString();

        InvoiceDraft amountless = draft();
        amountless.amountMsat.reset();
        QTest::newRow("amountless")
            << encodeInvoice(amountless, kKey).value() << int(Network::Regtest) << hash << kCreated
            << QStringLiteral("amountless_invoice");

        // Corrupt the signature but keep the checksum valid: re-encode the words. With `n`
        // present the signature must verify against it (without `n`, any recoverable
        // signature just names some other payee).
        InvoiceDraft withPayee = draft();
        withPayee.includePayeeField = true;
        auto bech = bech32Decode(encodeInvoice(withPayee, kKey).value(), 0).value();
        bech.words[bech.words.size() - 50] ^= 1;
        QTest::newRow("bad signature")
            << bech32Encode(bech.hrp, bech.words, Bech32Variant::Bech32) << int(Network::Regtest)
            << hash << kCreated << QStringLiteral("invalid_signature");
        QTest::newRow("not an invoice") << QStringLiteral("lnbcrt1garbage") << int(Network::Regtest)
                                        << hash << kCreated << QStringLiteral("invalid_challenge");
    }
    void outcomes()
    {
        QFETCH(QString, invoice);
        QFETCH(int, nodeNetwork);
        QFETCH(QByteArray, expectedHash);
        QFETCH(qint64, now);
        QFETCH(QString, expectedCode);
        l402::test::ManualClock clock;
        clock.setSeconds(now);
        InvoiceExpectations expectations;
        expectations.nodeNetwork = static_cast<Network>(nodeNetwork);
        expectations.expectedPaymentHash = expectedHash;
        if (QByteArray(QTest::currentDataTag()).startsWith("MPP")) {
            expectations.binding = InvoiceExpectations::Binding::MppCharge;
        }
        auto result = checkInvoiceForPayment(invoice, expectations, clock);
        if (expectedCode.isEmpty()) {
            QVERIFY2(result.ok(), qPrintable(result.ok() ? QString() : result.error().message));
            QCOMPARE(result->amountMsat.value(), 21'000ULL);
        } else {
            QVERIFY(!result.ok());
            QCOMPARE(result.error().code, expectedCode);
            QVERIFY(!result.error().message.isEmpty());
        }
    }

    void mppChallengeMustAgreeWithItsInvoice_data()
    {
        QTest::addColumn<QString>("paymentHash");
        QTest::addColumn<QString>("network");
        QTest::addColumn<QString>("amount");
        QTest::addColumn<QString>("currency");
        QTest::addColumn<bool>("ok");
        const QString hash = QString::fromLatin1(QByteArray(32, '\x42').toHex());
        QTest::newRow("all agree") << hash << QStringLiteral("regtest") << QStringLiteral("21")
                                   << QStringLiteral("sat") << true;
        QTest::newRow("nothing stated") << QString() << QString() << QString() << QString() << true;
        QTest::newRow("other hash")
            << QString(64, QLatin1Char('0')) << QString() << QString() << QString() << false;
        QTest::newRow("other network")
            << hash << QStringLiteral("mainnet") << QString() << QString() << false;
        QTest::newRow("cheaper request than invoice")
            << hash << QString() << QStringLiteral("20") << QStringLiteral("sat") << false;
        QTest::newRow("unknown currency")
            << hash << QString() << QStringLiteral("21") << QStringLiteral("usd") << false;
        QTest::newRow("not a number")
            << hash << QString() << QStringLiteral("21.0") << QStringLiteral("sat") << false;
    }
    void mppChallengeMustAgreeWithItsInvoice()
    {
        QFETCH(QString, paymentHash);
        QFETCH(QString, network);
        QFETCH(QString, amount);
        QFETCH(QString, currency);
        QFETCH(bool, ok);
        const Invoice invoice = decodeInvoice(encodeInvoice(draft(), kKey).value()).value();
        PaymentChallenge challenge;
        challenge.paymentHashHex = paymentHash;
        challenge.network = network;
        challenge.amount = amount;
        challenge.currency = currency;
        const l402::Status status = checkPaymentChallenge(challenge, invoice);
        QCOMPARE(status.ok(), ok);
        if (!ok) {
            QCOMPARE(status.error().code, QStringLiteral("invoice_mismatch"));
        }
    }
};

QTEST_GUILESS_MAIN(InvoiceCheckTest)
#include "InvoiceCheckTest.moc"
