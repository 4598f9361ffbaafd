#include "core/protocol/Bolt11.h"
#include "core/crypto/Digest.h"
#include "core/crypto/Secp256k1.h"
#include "core/protocol/Bech32.h"
#include "core/protocol/DecodeReport.h"
#include "tests/support/TestData.h"
#include "tests/support/TestSeed.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QTest>

using namespace l402::protocol;
using l402::test::fromHex;

namespace {
// The private key every BOLT 11 example is signed with.
const QByteArray kSpecPrivateKey =
    QByteArray::fromHex("e126f68f7eafcc8b74f54d269fe206be715000f94dac067d1c04a8ca3b2db734");
} // namespace

class Bolt11Test : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void specValidVectors_data()
    {
        QTest::addColumn<QJsonObject>("vector");
        const QJsonArray vectors = l402::test::loadJsonArray(QStringLiteral("bolt11/valid.json"));
        QVERIFY(vectors.size() >= 15);
        for (const QJsonValue value : vectors) {
            const QJsonObject vector = value.toObject();
            QTest::newRow(qPrintable(vector.value(QStringLiteral("name")).toString())) << vector;
        }
    }
    // Every field of every valid spec example, compared to the spec's own breakdown, through
    // the same JSON the `decode --json` contract prints.
    void specValidVectors()
    {
        QFETCH(QJsonObject, vector);
        auto invoice = decodeInvoice(vector.value(QStringLiteral("invoice")).toString());
        QVERIFY2(invoice.ok(), qPrintable(invoice.ok() ? QString() : invoice.error().message));
        const QJsonObject json = invoiceToJson(invoice.value());
        for (const char* field :
             {"network", "amount_msat", "timestamp", "expiry", "payment_hash", "payment_secret",
              "description", "description_hash", "payee", "min_final_cltv_expiry", "features",
              "route_hints", "fallback_addresses"}) {
            const QString key = QLatin1String(field);
            const auto compact = [](const QJsonValue& value) {
                return QString::fromUtf8(
                    QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact));
            };
            QVERIFY2(
                json.value(key) == vector.value(key),
                qPrintable(QStringLiteral("%1: got %2, spec says %3")
                               .arg(key, compact(json.value(key)), compact(vector.value(key)))));
        }
        QCOMPARE(invoice->signature.toHex(),
                 vector.value(QStringLiteral("signature")).toString().toLatin1());
        QCOMPARE(invoice->recoveryId, vector.value(QStringLiteral("recovery_id")).toInt());
        const QJsonValue metadata = vector.value(QStringLiteral("metadata"));
        QCOMPARE(invoice->metadata,
                 metadata.isNull() ? QByteArray() : fromHex(metadata.toString()));
        // Every example is signed by the spec key: the signature verifies against it (the
        // high-S example recovers a different key with its transmitted recovery id, which is
        // what the `payee` field above checks).
        QVERIFY(l402::crypto::verifySignature(
            signingDigest(invoice.value()), normalizedS(invoice->signature),
            l402::crypto::publicKeyFromPrivate(kSpecPrivateKey).value()));
    }

    void specInvalidVectors_data()
    {
        QTest::addColumn<QString>("invoice");
        QTest::addColumn<QString>("expectedCode");
        // The error each spec example must produce, by the example's name in the data file.
        const QHash<QString, QString> codes = {
            {QStringLiteral("unknown even feature bit 100"),
             QLatin1String(invoice_error::kUnknownRequiredFeature)},
            {QStringLiteral("invalid checksum"), QLatin1String(invoice_error::kBadEncoding)},
            {QStringLiteral("no separator"), QLatin1String(invoice_error::kBadEncoding)},
            {QStringLiteral("mixed case"), QLatin1String(invoice_error::kBadEncoding)},
            {QStringLiteral("signature not recoverable"),
             QLatin1String(invoice_error::kInvalidSignature)},
            {QStringLiteral("string too short"), QLatin1String(invoice_error::kTooShort)},
            {QStringLiteral("invalid multiplier"), QLatin1String(invoice_error::kBadAmount)},
            {QStringLiteral("sub-millisatoshi precision"),
             QLatin1String(invoice_error::kSubMsatPrecision)},
            {QStringLiteral("missing required s field"),
             QLatin1String(invoice_error::kMissingPaymentSecret)},
            {QStringLiteral("high-S signature with n field"),
             QLatin1String(invoice_error::kInvalidSignature)},
            {QStringLiteral("multiple fallbacks, SegWit v0 program of 41 bytes (fork-only "
                            "example)"),
             QLatin1String(invoice_error::kBadField)},
        };
        const QJsonArray vectors = l402::test::loadJsonArray(QStringLiteral("bolt11/invalid.json"));
        QVERIFY(vectors.size() >= 8);
        for (const QJsonValue value : vectors) {
            const QJsonObject vector = value.toObject();
            const QString name = vector.value(QStringLiteral("name")).toString();
            QVERIFY2(codes.contains(name),
                     qPrintable(QStringLiteral("no expected code for ") + name));
            QTest::newRow(qPrintable(name))
                << vector.value(QStringLiteral("invoice")).toString() << codes.value(name);
        }
    }
    void specInvalidVectors()
    {
        QFETCH(QString, invoice);
        QFETCH(QString, expectedCode);
        auto decoded = decodeInvoice(invoice);
        QVERIFY(!decoded.ok());
        QCOMPARE(decoded.error().code, expectedCode);
        QVERIFY(!decoded.error().message.isEmpty());
    }

    void amounts_data()
    {
        QTest::addColumn<QString>("amount");
        QTest::addColumn<qint64>("msat"); // -1: invalid (invalid_amount unless noted)
        QTest::newRow("whole btc") << QStringLiteral("1") << qint64(100'000'000'000);
        QTest::newRow("milli") << QStringLiteral("20m") << qint64(2'000'000'000);
        QTest::newRow("micro") << QStringLiteral("2500u") << qint64(250'000'000);
        QTest::newRow("nano") << QStringLiteral("1n") << qint64(100);
        QTest::newRow("pico") << QStringLiteral("10p") << qint64(1);
        QTest::newRow("pico precise") << QStringLiteral("9678785340p") << qint64(967'878'534);
        QTest::newRow("pico not whole msat") << QStringLiteral("11p") << qint64(-1);
        QTest::newRow("zero") << QStringLiteral("0m") << qint64(-1);
        QTest::newRow("bad multiplier") << QStringLiteral("5x") << qint64(-1);
        QTest::newRow("over 21M btc") << QStringLiteral("21000001") << qint64(-1);
        QTest::newRow("huge digits") << QStringLiteral("999999999999999999999999p") << qint64(-1);
        // Found by the npm bolt11 cross-check: pico amounts near the cap exceed 64 bits as
        // pico but not as msat.
        QTest::newRow("19.2M BTC in pico")
            << QStringLiteral("19207748176214194590p") << qint64(1'920'774'817'621'419'459);
        QTest::newRow("21M BTC in pico")
            << QStringLiteral("21000000000000000000p") << qint64(2'100'000'000'000'000'000);
        QTest::newRow("just over 21M BTC in pico")
            << QStringLiteral("21000000000000000010p") << qint64(-1);
        QTest::newRow("leading zeros") << QStringLiteral("0025m") << qint64(2'500'000'000);
    }
    // Exact integer arithmetic, checked through a freshly signed invoice for each amount.
    void amounts()
    {
        QFETCH(QString, amount);
        QFETCH(qint64, msat);
        InvoiceDraft draft = baseDraft();
        draft.amountMsat = 1000; // replaced in the text below
        auto encoded = encodeInvoice(draft, kSpecPrivateKey);
        QVERIFY(encoded.ok());
        // Re-sign with the amount text spliced into the human-readable part.
        const QString hrp = QStringLiteral("lnbc") + amount;
        auto resigned = resignWithHrp(encoded.value(), hrp);
        auto decoded = decodeInvoice(resigned);
        if (msat < 0) {
            QVERIFY(!decoded.ok());
            const bool precision =
                amount.endsWith(QLatin1Char('p')) && !amount.chopped(1).endsWith(QLatin1Char('0'));
            QCOMPARE(decoded.error().code,
                     QLatin1String(precision ? invoice_error::kSubMsatPrecision
                                             : invoice_error::kBadAmount));
        } else {
            QVERIFY2(decoded.ok(), qPrintable(decoded.ok() ? QString() : decoded.error().message));
            QCOMPARE(qint64(decoded->amountMsat.value()), msat);
        }
    }

    void formatAmount()
    {
        QCOMPARE(formatInvoiceAmount(100'000'000'000ULL), QStringLiteral("1"));
        QCOMPARE(formatInvoiceAmount(250'000'000ULL), QStringLiteral("2500u"));
        QCOMPARE(formatInvoiceAmount(967'878'534ULL), QStringLiteral("9678785340p"));
        QCOMPARE(formatInvoiceAmount(100), QStringLiteral("1n"));
        QCOMPARE(formatInvoiceAmount(1'920'774'817'621'419'459ULL),
                 QStringLiteral("19207748176214194590p"));
    }

    void prefixes_data()
    {
        QTest::addColumn<int>("network");
        QTest::addColumn<QString>("prefix");
        QTest::newRow("mainnet") << int(Network::Bitcoin) << QStringLiteral("lnbc1");
        QTest::newRow("testnet") << int(Network::Testnet) << QStringLiteral("lntb1");
        QTest::newRow("signet") << int(Network::Signet) << QStringLiteral("lntbs1");
        QTest::newRow("regtest") << int(Network::Regtest) << QStringLiteral("lnbcrt1");
    }
    void prefixes()
    {
        QFETCH(int, network);
        QFETCH(QString, prefix);
        InvoiceDraft draft = baseDraft();
        draft.network = static_cast<Network>(network);
        draft.amountMsat = 100'000;
        const QString text = encodeInvoice(draft, kSpecPrivateKey).value();
        QVERIFY(text.startsWith(prefix));
        auto decoded = decodeInvoice(text);
        QVERIFY(decoded.ok());
        QCOMPARE(int(decoded->network), network);
        QCOMPARE(decoded->amountMsat.value(), 100'000ULL);
    }

    void unknownPrefixRejected()
    {
        const QString text = encodeInvoice(baseDraft(), kSpecPrivateKey).value();
        auto decoded = decodeInvoice(resignWithHrp(text, QStringLiteral("lnxy")));
        QVERIFY(!decoded.ok());
        QCOMPARE(decoded.error().code, QLatin1String(invoice_error::kUnknownPrefix));
        auto noLn = decodeInvoice(resignWithHrp(text, QStringLiteral("bc")));
        QVERIFY(!noLn.ok());
        QCOMPARE(noLn.error().code, QLatin1String(invoice_error::kUnknownPrefix));
    }

    // Random drafts round-trip through our encoder and decoder with every field intact.
    void randomRoundTrips()
    {
        QRandomGenerator random(l402::test::testSeed("randomRoundTrips"));
        for (int i = 0; i < 300; ++i) {
            InvoiceDraft draft = randomDraft(random);
            const QByteArray key = randomKey(random);
            auto text = encodeInvoice(draft, key);
            QVERIFY(text.ok());
            auto decoded = decodeInvoice(random.bounded(2) ? text->toUpper() : text.value());
            QVERIFY2(decoded.ok(), qPrintable(decoded.ok() ? QString() : decoded.error().message));
            QCOMPARE(decoded->network, draft.network);
            QCOMPARE(decoded->amountMsat, draft.amountMsat);
            QCOMPARE(decoded->timestamp, draft.timestamp);
            QCOMPARE(decoded->expirySeconds, draft.expirySeconds.value_or(3600));
            QCOMPARE(decoded->paymentHash, draft.paymentHash);
            QCOMPARE(decoded->paymentSecret, draft.paymentSecret);
            QCOMPARE(decoded->description, draft.description);
            QCOMPARE(decoded->descriptionHash, draft.descriptionHash);
            QCOMPARE(decoded->minFinalCltvExpiry, draft.minFinalCltvExpiry.value_or(18));
            QCOMPARE(decoded->routeHints, draft.routeHints);
            QCOMPARE(decoded->features, draft.features);
            QCOMPARE(decoded->payee, l402::crypto::publicKeyFromPrivate(key).value());
            QCOMPARE(decoded->payeeFromField, draft.includePayeeField);
        }
    }

    // Changing any signed data word (and fixing up the bech32 checksum, as an attacker
    // would) is caught by the signature: with `n` it no longer verifies; without `n` it
    // recovers some other key, never the real payee.
    void tamperedSignedDataRejected()
    {
        for (const bool withPayee : {true, false}) {
            InvoiceDraft draft = baseDraft();
            draft.amountMsat = 21'000;
            draft.includePayeeField = withPayee;
            const QString text = encodeInvoice(draft, kSpecPrivateKey).value();
            const QByteArray payee = l402::crypto::publicKeyFromPrivate(kSpecPrivateKey).value();
            auto bech = bech32Decode(text, 0).value();
            const size_t signedWords = bech.words.size() - 104;
            for (size_t at = 0; at < signedWords; ++at) {
                Bech32Data tampered = bech;
                tampered.words[at] ^= 1;
                auto decoded = decodeInvoice(
                    bech32Encode(tampered.hrp, tampered.words, Bech32Variant::Bech32));
                // Never the real payee with altered content: refused (bad field, bad
                // signature against `n`) or, without `n`, attributed to another key.
                QVERIFY2(!decoded.ok() || decoded->payee != payee,
                         qPrintable(QStringLiteral("word %1").arg(at)));
            }
            // The untouched invoice still decodes to the real payee.
            QCOMPARE(decodeInvoice(text)->payee, payee);
        }
        // A flipped word inside `n`-signed data that still parses must fail as a signature.
        InvoiceDraft draft = baseDraft();
        draft.includePayeeField = true;
        auto bech = bech32Decode(encodeInvoice(draft, kSpecPrivateKey).value(), 0).value();
        bech.words[7 + 3] ^= 1; // first word of the payment hash
        auto decoded = decodeInvoice(bech32Encode(bech.hrp, bech.words, Bech32Variant::Bech32));
        QVERIFY(!decoded.ok());
        QCOMPARE(decoded.error().code, QLatin1String(invoice_error::kInvalidSignature));
    }

    void featureDependencies_data()
    {
        QTest::addColumn<QList<int>>("features");
        QTest::addColumn<QString>("code");
        QTest::newRow("payment_secret without var_onion_optin")
            << QList<int>{14} << QString::fromLatin1(invoice_error::kMissingFeatureDependency);
        QTest::newRow("basic_mpp without payment_secret")
            << QList<int>{8, 17} << QString::fromLatin1(invoice_error::kMissingFeatureDependency);
        QTest::newRow("all present (odd)") << QList<int>{9, 15, 17} << QString();
        QTest::newRow("unknown even bit 102")
            << QList<int>{8, 14, 102}
            << QString::fromLatin1(invoice_error::kUnknownRequiredFeature);
        QTest::newRow("unknown odd bit 103") << QList<int>{8, 14, 103} << QString();
    }
    void featureDependencies()
    {
        QFETCH(QList<int>, features);
        QFETCH(QString, code);
        InvoiceDraft draft = baseDraft();
        draft.features = features;
        auto decoded = decodeInvoice(encodeInvoice(draft, kSpecPrivateKey).value());
        if (code.isEmpty()) {
            QVERIFY2(decoded.ok(), qPrintable(decoded.ok() ? QString() : decoded.error().message));
        } else {
            QVERIFY(!decoded.ok());
            QCOMPARE(decoded.error().code, code);
        }
    }

    // `n` naming a key other than the signer's is a signature failure, not a different payee.
    void payeeFieldOfAnotherKeyRejected()
    {
        InvoiceDraft draft = baseDraft();
        const QString honest = encodeInvoice(draft, kSpecPrivateKey).value();
        auto bech = bech32Decode(honest, 0).value();
        std::vector<uint8_t> words(bech.words.begin(), bech.words.end() - 104);
        const QByteArray otherKey =
            l402::crypto::publicKeyFromPrivate(QByteArray(32, '\x07')).value();
        const auto payeeWords = toWords(otherKey);
        words.push_back(19); // n
        words.push_back(static_cast<uint8_t>(payeeWords.size() >> 5));
        words.push_back(static_cast<uint8_t>(payeeWords.size() & 31));
        words.insert(words.end(), payeeWords.begin(), payeeWords.end());
        QByteArray signed_ = bech.hrp.toUtf8();
        signed_ += fromWords(words, TrailingBits::PadToByte).value();
        auto signature =
            l402::crypto::signRecoverable(kSpecPrivateKey, l402::crypto::sha256(signed_)).value();
        QByteArray bytes = signature.compact;
        bytes.append(char(signature.recoveryId));
        const auto signatureWords = toWords(bytes);
        words.insert(words.end(), signatureWords.begin(), signatureWords.end());
        auto decoded = decodeInvoice(bech32Encode(bech.hrp, words, Bech32Variant::Bech32));
        QVERIFY(!decoded.ok());
        QCOMPARE(decoded.error().code, QLatin1String(invoice_error::kInvalidSignature));
    }

    void lightningUriPrefixAccepted()
    {
        const QString text = encodeInvoice(baseDraft(), kSpecPrivateKey).value();
        const QString uri = QStringLiteral("lightning:") + text.toUpper();
        auto decoded = decodeInvoice(uri);
        QVERIFY(decoded.ok());
        QCOMPARE(decoded->text, text);
    }

private:
    static QByteArray signingDigest(const Invoice& invoice)
    {
        auto bech = bech32Decode(invoice.text, 0).value();
        std::vector<uint8_t> words(bech.words.begin(), bech.words.end() - 104);
        QByteArray data = bech.hrp.toUtf8();
        data += fromWords(words, TrailingBits::PadToByte).value();
        return l402::crypto::sha256(data);
    }

    // s -> n - s when s is in the upper half, so plain verification accepts it.
    static QByteArray normalizedS(const QByteArray& signature)
    {
        static const QByteArray order =
            QByteArray::fromHex("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
        static const QByteArray halfOrder =
            QByteArray::fromHex("7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0");
        QByteArray s = signature.mid(32);
        if (s <= halfOrder) {
            return signature;
        }
        QByteArray out(32, '\0');
        int borrow = 0;
        for (int i = 31; i >= 0; --i) {
            int value = uint8_t(order[i]) - uint8_t(s[i]) - borrow;
            borrow = value < 0 ? 1 : 0;
            out[i] = char(value & 0xff);
        }
        return signature.left(32) + out;
    }

    static InvoiceDraft baseDraft()
    {
        InvoiceDraft draft;
        draft.timestamp = 1'700'000'000;
        draft.paymentHash = QByteArray(32, '\x01');
        draft.paymentSecret = QByteArray(32, '\x11');
        draft.description = QStringLiteral("test");
        draft.features = {8, 14};
        return draft;
    }

    // Replaces the human-readable part and signs again, so only the part under test differs.
    static QString resignWithHrp(const QString& invoice, const QString& hrp)
    {
        auto bech = bech32Decode(invoice, 0).value();
        std::vector<uint8_t> words(bech.words.begin(), bech.words.end() - 104);
        QByteArray signed_ = hrp.toUtf8();
        signed_ += fromWords(words, TrailingBits::PadToByte).value();
        auto signature =
            l402::crypto::signRecoverable(kSpecPrivateKey, l402::crypto::sha256(signed_)).value();
        QByteArray bytes = signature.compact;
        bytes.append(char(signature.recoveryId));
        const auto signatureWords = toWords(bytes);
        words.insert(words.end(), signatureWords.begin(), signatureWords.end());
        return bech32Encode(hrp, words, Bech32Variant::Bech32);
    }

    static QByteArray randomBytes(QRandomGenerator& random, int size)
    {
        QByteArray out(size, Qt::Uninitialized);
        for (char& c : out) {
            c = static_cast<char>(random.bounded(256));
        }
        return out;
    }

    static QByteArray randomKey(QRandomGenerator& random)
    {
        for (;;) {
            QByteArray key = randomBytes(random, 32);
            if (l402::crypto::publicKeyFromPrivate(key).ok()) {
                return key;
            }
        }
    }

    static InvoiceDraft randomDraft(QRandomGenerator& random)
    {
        InvoiceDraft draft;
        draft.network = static_cast<Network>(random.bounded(4));
        if (random.bounded(5) != 0) {
            draft.amountMsat = random.bounded(4) == 0
                                   ? quint64(random.bounded(1, 1000))
                                   : random.generate64() % 2'100'000'000'000'000ULL + 1;
        }
        draft.timestamp = qint64(random.generate64() % (1ULL << 35));
        if (random.bounded(2)) {
            draft.expirySeconds = qint64(random.generate64() % (1ULL << 40));
        }
        if (random.bounded(2)) {
            draft.minFinalCltvExpiry = random.bounded(1, 5000);
        }
        draft.paymentHash = randomBytes(random, 32);
        draft.paymentSecret = randomBytes(random, 32);
        if (random.bounded(2)) {
            QString description;
            for (int i = random.bounded(0, 200); i > 0; --i) {
                description += QChar(char16_t(random.bounded(0x20, 0x3000)));
            }
            // Drop lone surrogates: a description is valid UTF-8 text.
            draft.description = QString::fromUtf8(description.toUtf8());
        } else {
            draft.descriptionHash = randomBytes(random, 32);
        }
        draft.features = {8, 14};
        if (random.bounded(2)) {
            draft.features.append(17);
        }
        if (random.bounded(2)) {
            draft.features.append(2 * random.bounded(30, 200) + 1); // unknown odd bits are fine
        }
        std::sort(draft.features.begin(), draft.features.end());
        for (int hints = random.bounded(3); hints > 0; --hints) {
            RouteHint hint;
            for (int hops = random.bounded(1, 4); hops > 0; --hops) {
                RouteHintHop hop;
                hop.pubkey = l402::crypto::publicKeyFromPrivate(randomKey(random)).value();
                hop.shortChannelId = random.generate64();
                hop.feeBaseMsat = random.generate();
                hop.feeProportionalMillionths = random.generate();
                hop.cltvExpiryDelta = static_cast<uint16_t>(random.bounded(65536));
                hint.append(hop);
            }
            draft.routeHints.append(hint);
        }
        draft.includePayeeField = random.bounded(2) == 1;
        return draft;
    }
};

QTEST_GUILESS_MAIN(Bolt11Test)
#include "Bolt11Test.moc"
