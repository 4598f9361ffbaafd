#include "core/crypto/Digest.h"
#include "core/crypto/Secp256k1.h"
#include "core/protocol/Bolt11.h"
#include "core/protocol/DecodeReport.h"
#include "core/protocol/Macaroon.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QTest>

#include "tests/support/TestSeed.h"

using namespace l402::protocol;

namespace {

constexpr int kCases = 250;

// Runs a cross-check tool and returns its stdout lines parsed as JSON objects.
QList<QJsonObject> runTool(const QString& program, const QStringList& arguments,
                           const QByteArray& input = {})
{
    QProcess process;
    process.setWorkingDirectory(QStringLiteral(L402_CROSSCHECK_DIR));
    process.setProcessChannelMode(QProcess::SeparateChannels);
    process.start(program, arguments);
    if (!process.waitForStarted(10'000)) {
        qWarning("cannot start %s", qPrintable(program));
        return {};
    }
    process.write(input);
    process.closeWriteChannel();
    if (!process.waitForFinished(180'000) || process.exitCode() != 0) {
        qWarning("%s %s failed: %s", qPrintable(program),
                 qPrintable(arguments.join(QLatin1Char(' '))),
                 process.readAllStandardError().constData());
        return {};
    }
    const QByteArray errors = process.readAllStandardError();
    if (!errors.isEmpty()) {
        qInfo("%s: %s", qPrintable(arguments.value(0)), errors.trimmed().constData()); // seed=...
    }
    QList<QJsonObject> out;
    for (const QByteArray& line : process.readAllStandardOutput().split('\n')) {
        if (!line.trimmed().isEmpty()) {
            out.append(QJsonDocument::fromJson(line).object());
        }
    }
    return out;
}

QString node()
{
    return QStringLiteral(NODE_EXECUTABLE);
}
QString script(const char* name)
{
    return QStringLiteral(L402_CROSSCHECK_DIR "/") + QLatin1String(name);
}

QString compact(const QJsonValue& value)
{
    return QString::fromUtf8(QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact));
}

// The npm tool writes amounts as decimal strings (they exceed 2^53); ours are integers.
QJsonObject normaliseAmount(QJsonObject object)
{
    const QJsonValue amount = object.value(QStringLiteral("amount_msat"));
    if (amount.isString()) {
        object.insert(QStringLiteral("amount_msat"), amount.toString().toLongLong());
    }
    return object;
}

const char* const kInvoiceFields[] = {
    "network",        "amount_msat", "timestamp",         "expiry", "payment_hash",
    "payment_secret", "description", "description_hash",  "payee",  "min_final_cltv_expiry",
    "features",       "route_hints", "fallback_addresses"};

QByteArray randomBytes(QRandomGenerator& random, int size)
{
    QByteArray out(size, Qt::Uninitialized);
    for (char& c : out) {
        c = static_cast<char>(random.bounded(256));
    }
    return out;
}

} // namespace

class CrossCheckTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFile::exists(QStringLiteral(L402_CROSSCHECK_DIR "/node_modules/bolt11")),
                 "run `npm ci` in tests/crosscheck (make test does)");
    }

    // npm bolt11 signs, we decode: every field equal; no-`s` invoices refused as the spec says.
    void bolt11TheyEncodeWeDecode()
    {
        const QList<QJsonObject> cases =
            runTool(node(), {script("bolt11-tool.mjs"), QStringLiteral("generate"),
                             QString::number(kCases)});
        QCOMPARE(cases.size(), kCases);
        int refusedWithoutSecret = 0;
        int refusedForFeatures = 0;
        for (const QJsonObject& testCase : cases) {
            const QString invoiceText = testCase.value(QStringLiteral("invoice")).toString();
            const QJsonObject expect =
                normaliseAmount(testCase.value(QStringLiteral("expect")).toObject());
            auto decoded = decodeInvoice(invoiceText);
            if (expect.value(QStringLiteral("payment_secret")).isNull()) {
                QVERIFY2(!decoded.ok(), qPrintable(invoiceText));
                QCOMPARE(decoded.error().code, QLatin1String(invoice_error::kMissingPaymentSecret));
                ++refusedWithoutSecret;
                continue;
            }
            const QJsonArray features = expect.value(QStringLiteral("features")).toArray();
            const auto hasFeature = [&features](int even) {
                return features.contains(even) || features.contains(even + 1);
            };
            if (hasFeature(14) && !hasFeature(8)) {
                // bolt11 writes what it is given; BOLT 9 says not to pay such an invoice.
                QVERIFY2(!decoded.ok(), qPrintable(invoiceText));
                QCOMPARE(decoded.error().code,
                         QLatin1String(invoice_error::kMissingFeatureDependency));
                ++refusedForFeatures;
                continue;
            }
            QVERIFY2(decoded.ok(),
                     qPrintable(invoiceText + QStringLiteral(": ") +
                                (decoded.ok() ? QString() : decoded.error().message)));
            const QJsonObject ours = invoiceToJson(decoded.value());
            for (const char* field : kInvoiceFields) {
                const QString key = QLatin1String(field);
                QVERIFY2(ours.value(key) == expect.value(key),
                         qPrintable(QStringLiteral("%1 in %2: ours %3, bolt11 %4")
                                        .arg(key, invoiceText, compact(ours.value(key)),
                                             compact(expect.value(key)))));
            }
        }
        qInfo("bolt11 -> ours: %d invoices, %d refused for lacking s, %d for feature "
              "dependencies",
              int(cases.size()), refusedWithoutSecret, refusedForFeatures);
    }

    // We sign, npm bolt11 decodes: every field equal.
    void bolt11WeEncodeTheyDecode()
    {
        QRandomGenerator random(l402::test::testSeed(QTest::currentTestFunction()));
        QByteArray input;
        QList<QJsonObject> expected;
        for (int i = 0; i < kCases; ++i) {
            InvoiceDraft draft;
            draft.network = static_cast<Network>(random.bounded(4));
            if (random.bounded(5) != 0) {
                draft.amountMsat = random.generate64() % 2'000'000'000'000'000ULL + 1;
            }
            draft.timestamp = qint64(random.generate64() % (1ULL << 35));
            if (random.bounded(2)) {
                draft.expirySeconds = random.bounded(1, 1'000'000);
            }
            if (random.bounded(2)) {
                draft.minFinalCltvExpiry = random.bounded(1, 10'000);
            }
            draft.paymentHash = randomBytes(random, 32);
            draft.paymentSecret = randomBytes(random, 32);
            if (random.bounded(2)) {
                draft.description = QStringLiteral("item %1 ☕ ナンセンス").arg(random.generate());
            } else {
                draft.descriptionHash = randomBytes(random, 32);
            }
            draft.features = {8, 14};
            if (random.bounded(2)) {
                draft.features.append(17);
            }
            for (int hints = random.bounded(3); hints > 0; --hints) {
                RouteHint hint;
                for (int hops = random.bounded(1, 4); hops > 0; --hops) {
                    RouteHintHop hop;
                    hop.pubkey = l402::crypto::publicKeyFromPrivate(
                                     l402::crypto::sha256(randomBytes(random, 8)))
                                     .value();
                    hop.shortChannelId = random.generate64();
                    hop.feeBaseMsat = random.generate();
                    hop.feeProportionalMillionths = random.generate();
                    hop.cltvExpiryDelta = static_cast<uint16_t>(random.bounded(65536));
                    hint.append(hop);
                }
                draft.routeHints.append(hint);
            }
            if (random.bounded(3) == 0) {
                const bool mainnet = draft.network == Network::Bitcoin;
                (void)mainnet;
                draft.fallbackAddresses.append(FallbackAddress{0, randomBytes(random, 20), {}});
                draft.fallbackAddresses.append(FallbackAddress{17, randomBytes(random, 20), {}});
                draft.fallbackAddresses.append(FallbackAddress{1, randomBytes(random, 32), {}});
            }
            draft.includePayeeField = random.bounded(2) == 1;
            const QByteArray key = l402::crypto::sha256(randomBytes(random, 16));
            const QString text = encodeInvoice(draft, key).value();
            input += text.toLatin1() + '\n';
            expected.append(invoiceToJson(decodeInvoice(text).value()));
        }
        const QList<QJsonObject> results =
            runTool(node(), {script("bolt11-tool.mjs"), QStringLiteral("decode")}, input);
        QCOMPARE(results.size(), kCases);
        for (qsizetype i = 0; i < results.size(); ++i) {
            const QJsonObject result = results.at(i);
            QVERIFY2(result.value(QStringLiteral("ok")).toBool(), qPrintable(compact(result)));
            const QJsonObject theirs =
                normaliseAmount(result.value(QStringLiteral("decoded")).toObject());
            for (const char* field : kInvoiceFields) {
                const QString key = QLatin1String(field);
                QVERIFY2(theirs.value(key) == expected.at(i).value(key),
                         qPrintable(QStringLiteral("%1: bolt11 %2, ours %3 (%4)")
                                        .arg(key, compact(theirs.value(key)),
                                             compact(expected.at(i).value(key)),
                                             result.value(QStringLiteral("invoice")).toString())));
            }
            if (result.value(QStringLiteral("decoded"))
                    .toObject()
                    .value(QStringLiteral("signature_valid"))
                    .isBool()) {
                QVERIFY(result.value(QStringLiteral("decoded"))
                            .toObject()
                            .value(QStringLiteral("signature_valid"))
                            .toBool());
            }
        }
    }

    void macaroonsTheyEncodeWeDecode_data()
    {
        QTest::addColumn<QString>("program");
        QTest::addColumn<QStringList>("arguments");
        QTest::newRow("npm macaroon (V2)")
            << node()
            << QStringList{script("macaroon-tool.mjs"), QStringLiteral("generate"),
                           QString::number(kCases)};
        QTest::newRow("pymacaroons (V1 and V2)")
            << script("pymacaroons_tool.py")
            << QStringList{QStringLiteral("generate"), QString::number(kCases)};
    }
    // They mint, attenuate and add third-party caveats; we parse every field and the HMAC
    // chain verifies with the root key (and fails with another key).
    void macaroonsTheyEncodeWeDecode()
    {
        QFETCH(QString, program);
        QFETCH(QStringList, arguments);
        const QList<QJsonObject> cases = runTool(program, arguments);
        QCOMPARE(cases.size(), kCases);
        for (const QJsonObject& testCase : cases) {
            const QByteArray serialized =
                testCase.value(QStringLiteral("serialized")).toString().toLatin1();
            auto macaroon = Macaroon::fromBase64(serialized);
            QVERIFY2(macaroon.ok(), serialized.constData());
            const QJsonObject expect = testCase.value(QStringLiteral("expect")).toObject();
            QCOMPARE(macaroon->location(), expect.value(QStringLiteral("location")).toString());
            QCOMPARE(macaroon->identifier().toHex(),
                     expect.value(QStringLiteral("identifier_hex")).toString().toLatin1());
            QCOMPARE(macaroon->signature().toHex(),
                     expect.value(QStringLiteral("signature_hex")).toString().toLatin1());
            const QJsonArray caveats = expect.value(QStringLiteral("caveats")).toArray();
            QCOMPARE(macaroon->caveats().size(), caveats.size());
            for (qsizetype i = 0; i < caveats.size(); ++i) {
                const QJsonObject caveat = caveats.at(i).toObject();
                QCOMPARE(macaroon->caveats().at(i).id.toHex(),
                         caveat.value(QStringLiteral("id_hex")).toString().toLatin1());
                QCOMPARE(macaroon->caveats().at(i).verificationId.toHex(),
                         caveat.value(QStringLiteral("vid_hex")).toString().toLatin1());
                QCOMPARE(macaroon->caveats().at(i).location,
                         caveat.value(QStringLiteral("location")).toString());
            }
            const QByteArray rootKey = QByteArray::fromHex(
                testCase.value(QStringLiteral("root_key_hex")).toString().toLatin1());
            QVERIFY(macaroon->verifySignature(rootKey));
            QVERIFY(!macaroon->verifySignature(l402::crypto::sha256(rootKey)));
        }
    }

    void macaroonsWeEncodeTheyVerify_data()
    {
        QTest::addColumn<QString>("program");
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<bool>("v1");
        QTest::newRow("npm macaroon reads our V2")
            << node() << QStringList{script("macaroon-tool.mjs"), QStringLiteral("verify")}
            << false;
        QTest::newRow("pymacaroons reads our V2")
            << script("pymacaroons_tool.py") << QStringList{QStringLiteral("verify")} << false;
        QTest::newRow("pymacaroons reads our V1")
            << script("pymacaroons_tool.py") << QStringList{QStringLiteral("verify")} << true;
    }
    // We mint and attenuate (first-party caveats, L402 identifiers); they parse the same
    // fields and verify the signature with the root key.
    void macaroonsWeEncodeTheyVerify()
    {
        QFETCH(QString, program);
        QFETCH(QStringList, arguments);
        QFETCH(bool, v1);
        QRandomGenerator random(l402::test::testSeed(QTest::currentTestFunction()));
        QByteArray input;
        QList<Macaroon> minted;
        for (int i = 0; i < kCases; ++i) {
            const QByteArray rootKey = randomBytes(random, 32);
            L402Identifier identifier{0, randomBytes(random, 32), randomBytes(random, 32)};
            // V1 (pymacaroons) needs text identifiers; V2 carries the binary L402 one.
            const QByteArray id = v1 ? identifier.encode().toHex() : identifier.encode();
            Macaroon macaroon = Macaroon::mint(rootKey, id, QStringLiteral("l402.example"));
            for (int c = random.bounded(6); c > 0; --c) {
                macaroon = macaroon.withFirstPartyCaveat(
                    QStringLiteral("svc%1_valid_until=%2").arg(c).arg(random.generate()).toUtf8());
            }
            minted.append(macaroon);
            const QByteArray wire =
                v1 ? macaroon.toBinaryV1().toBase64(QByteArray::Base64UrlEncoding |
                                                    QByteArray::OmitTrailingEquals)
                   : macaroon.toBase64();
            input += QJsonDocument(
                         QJsonObject{
                             {QStringLiteral("root_key_hex"), QString::fromLatin1(rootKey.toHex())},
                             {QStringLiteral("serialized"), QString::fromLatin1(wire)}})
                         .toJson(QJsonDocument::Compact) +
                     '\n';
        }
        const QList<QJsonObject> results = runTool(program, arguments, input);
        QCOMPARE(results.size(), kCases);
        for (qsizetype i = 0; i < results.size(); ++i) {
            const QJsonObject result = results.at(i);
            QVERIFY2(result.value(QStringLiteral("ok")).toBool(), qPrintable(compact(result)));
            QVERIFY2(result.value(QStringLiteral("verified")).toBool(),
                     qPrintable(compact(result)));
            QCOMPARE(result.value(QStringLiteral("identifier_hex")).toString().toLatin1(),
                     minted.at(i).identifier().toHex());
            QCOMPARE(result.value(QStringLiteral("signature_hex")).toString().toLatin1(),
                     minted.at(i).signature().toHex());
            QCOMPARE(result.value(QStringLiteral("caveats")).toArray().size(),
                     minted.at(i).caveats().size());
        }
    }
};

QTEST_GUILESS_MAIN(CrossCheckTest)
#include "CrossCheckTest.moc"
