#include "core/protocol/Macaroon.h"
#include "core/crypto/Digest.h"
#include "core/protocol/DecodeReport.h"
#include "tests/support/TestData.h"
#include "tests/support/TestSeed.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QTest>

using namespace l402::protocol;
using l402::test::fromHex;

class MacaroonTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    // Published vectors (js-macaroon, go-macaroon, libmacaroons): structure, signature and,
    // where a root key is given, verification.
    void publishedVectors_data()
    {
        QTest::addColumn<QJsonObject>("vector");
        const QJsonArray vectors =
            l402::test::loadJsonArray(QStringLiteral("macaroon/vectors.json"));
        QVERIFY(vectors.size() >= 4);
        for (const QJsonValue value : vectors) {
            const QJsonObject vector = value.toObject();
            if (vector.value(QStringLiteral("format")).toString().endsWith(QLatin1Char('j'))) {
                continue; // JSON forms (v1j, v2j) are not wire formats L402 uses
            }
            QTest::newRow(qPrintable(vector.value(QStringLiteral("name")).toString())) << vector;
        }
    }
    void publishedVectors()
    {
        QFETCH(QJsonObject, vector);
        auto macaroon =
            Macaroon::fromBase64(vector.value(QStringLiteral("serialized")).toString().toLatin1());
        QVERIFY2(macaroon.ok(), qPrintable(macaroon.ok() ? QString() : macaroon.error().message));
        const QJsonObject expect = vector.value(QStringLiteral("expect")).toObject();
        if (expect.contains(QStringLiteral("location"))) {
            QCOMPARE(macaroon->location(), expect.value(QStringLiteral("location")).toString());
        }
        if (expect.contains(QStringLiteral("identifier_hex"))) {
            QCOMPARE(macaroon->identifier(),
                     fromHex(expect.value(QStringLiteral("identifier_hex")).toString()));
        }
        if (expect.contains(QStringLiteral("signature_hex"))) {
            QCOMPARE(macaroon->signature(),
                     fromHex(expect.value(QStringLiteral("signature_hex")).toString()));
        }
        if (expect.contains(QStringLiteral("caveats"))) {
            const QJsonArray caveats = expect.value(QStringLiteral("caveats")).toArray();
            QCOMPARE(macaroon->caveats().size(), caveats.size());
            for (qsizetype i = 0; i < caveats.size(); ++i) {
                const QJsonObject caveat = caveats.at(i).toObject();
                const Caveat& actual = macaroon->caveats().at(i);
                if (caveat.contains(QStringLiteral("id_hex"))) {
                    QCOMPARE(actual.id, fromHex(caveat.value(QStringLiteral("id_hex")).toString()));
                } else if (caveat.contains(QStringLiteral("id"))) {
                    QCOMPARE(actual.id, caveat.value(QStringLiteral("id")).toString().toUtf8());
                }
                const QJsonValue vid = caveat.value(QStringLiteral("vid_hex"));
                if (vid.isString()) {
                    QCOMPARE(actual.verificationId, fromHex(vid.toString()));
                }
                const QJsonValue location = caveat.value(QStringLiteral("location"));
                if (location.isString()) {
                    QCOMPARE(actual.location, location.toString());
                }
            }
        }
        QByteArray rootKey;
        if (vector.value(QStringLiteral("root_key_hex")).isString()) {
            rootKey = fromHex(vector.value(QStringLiteral("root_key_hex")).toString());
        } else if (vector.value(QStringLiteral("root_key")).isString()) {
            rootKey = vector.value(QStringLiteral("root_key")).toString().toUtf8();
        }
        const QJsonValue chainValid = vector.value(QStringLiteral("signature_chain_valid"));
        if (!rootKey.isEmpty() && chainValid.isBool()) {
            QCOMPARE(macaroon->verifySignature(rootKey), chainValid.toBool());
        }
        // Full verification as the source's verifier does it: the HMAC chain holds and every
        // first-party caveat is one of the verifier's exact predicates.
        const QJsonValue verifies = vector.value(QStringLiteral("verifies"));
        QJsonArray predicates = vector.value(QStringLiteral("verifier_exact_caveats")).toArray();
        if (predicates.isEmpty()) {
            predicates = vector.value(QStringLiteral("satisfied_caveats")).toArray();
        }
        if (!rootKey.isEmpty() && verifies.isBool()) {
            bool satisfied = true;
            for (const Caveat& caveat : macaroon->caveats()) {
                satisfied = satisfied && !caveat.isThirdParty() &&
                            predicates.contains(QString::fromUtf8(caveat.id));
            }
            QCOMPARE(macaroon->verifySignature(rootKey) && satisfied, verifies.toBool());
        }
        // Re-encoding in the format it came in reproduces the same macaroon.
        const QByteArray reencoded = macaroon->sourceFormat() == Macaroon::Format::V1
                                         ? macaroon->toBinaryV1()
                                         : macaroon->toBinaryV2();
        auto reparsed = Macaroon::fromBinary(reencoded);
        QVERIFY(reparsed.ok());
        QVERIFY(reparsed.value() == macaroon.value());
    }

    void mintAttenuateVerify()
    {
        const QByteArray rootKey = l402::crypto::randomBytes(32);
        const Macaroon minted = Macaroon::mint(rootKey, "id-1", QStringLiteral("loc"));
        QVERIFY(minted.verifySignature(rootKey));
        const Macaroon narrowed = minted.withFirstPartyCaveat("svc_valid_until=1700000000");
        QVERIFY(narrowed.verifySignature(rootKey));
        QVERIFY(narrowed.signature() != minted.signature());
        QCOMPARE(narrowed.signature(),
                 l402::crypto::hmacSha256(minted.signature(), "svc_valid_until=1700000000"));
        QVERIFY(!narrowed.verifySignature(QByteArray(32, 'x')));
        const Macaroon third =
            narrowed.withThirdPartyCaveat("3rd-cid", "encrypted-vid", QStringLiteral("https://d"));
        QVERIFY(third.verifySignature(rootKey));
        for (const QByteArray& wire : {third.toBinaryV2(), third.toBinaryV1()}) {
            auto parsed = Macaroon::fromBinary(wire);
            QVERIFY(parsed.ok());
            QVERIFY(parsed.value() == third);
            QVERIFY(parsed->verifySignature(rootKey));
        }
    }

    void base64Alphabets()
    {
        const Macaroon macaroon =
            Macaroon::mint("key", QByteArray("\xfb\xff\xfe\x00\x01", 5), QStringLiteral("l"))
                .withFirstPartyCaveat("a=b");
        const QByteArray binary = macaroon.toBinaryV2();
        const QList<QByteArray> forms = {
            binary.toBase64(),
            binary.toBase64(QByteArray::OmitTrailingEquals),
            binary.toBase64(QByteArray::Base64UrlEncoding),
            binary.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals),
        };
        for (const QByteArray& form : forms) {
            auto parsed = Macaroon::fromBase64(form);
            QVERIFY2(parsed.ok(), form.constData());
            QVERIFY(parsed.value() == macaroon);
        }
        QCOMPARE(macaroon.toBase64(), binary.toBase64());
    }

    void malformed_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        const QByteArray good = Macaroon::mint("k", "id", QStringLiteral("loc"))
                                    .withFirstPartyCaveat("c=d")
                                    .toBinaryV2();
        QTest::newRow("empty") << QByteArray();
        QTest::newRow("version only") << QByteArray(1, '\x02');
        QTest::newRow("truncated by one") << good.chopped(1);
        QTest::newRow("trailing byte") << good + QByteArray(1, '\0');
        QTest::newRow("huge length") << QByteArray::fromHex("0202ffffffffffffffffff01");
        QTest::newRow("varint too long") << QByteArray::fromHex("0202ffffffffffffffffffffff");
        QTest::newRow("unknown field") << QByteArray::fromHex("020301610000");
        QTest::newRow("no identifier") << QByteArray::fromHex("020101610000");
        QTest::newRow("short signature") << QByteArray::fromHex("02020169000006020000");
        QTest::newRow("v1 garbage") << QByteArray("zzzzlocation x\n");
        QTest::newRow("v1 no signature") << QByteArray("0011location x\n0013identifier y\n");
        QTest::newRow("v1 length beyond end") << QByteArray("0fffidentifier y\n");
    }
    void malformed()
    {
        QFETCH(QByteArray, bytes);
        auto parsed = Macaroon::fromBinary(bytes);
        QVERIFY(!parsed.ok());
        QCOMPARE(parsed.error().code, QStringLiteral("invalid_macaroon"));
    }

    void l402Identifier()
    {
        L402Identifier identifier;
        identifier.paymentHash = QByteArray(32, '\xaa');
        identifier.tokenId = QByteArray(32, '\xbb');
        const QByteArray encoded = identifier.encode();
        QCOMPARE(encoded.size(), 66);
        QCOMPARE(encoded.left(2), QByteArray("\0\0", 2));
        auto parsed = L402Identifier::parse(encoded);
        QVERIFY(parsed.ok());
        QCOMPARE(parsed->paymentHash, identifier.paymentHash);
        QCOMPARE(parsed->tokenId, identifier.tokenId);
        QVERIFY(!L402Identifier::parse(encoded.chopped(1)).ok());
        QByteArray version1 = encoded;
        version1[1] = 1;
        QVERIFY(!L402Identifier::parse(version1).ok());
    }

    void apertureCaveats()
    {
        const Macaroon macaroon = Macaroon::mint("k", "id", QString())
                                      .withFirstPartyCaveat("services=weather:0,maps:1")
                                      .withFirstPartyCaveat("weather_capabilities=read,forecast")
                                      .withFirstPartyCaveat("weather_valid_until=1800000000")
                                      .withFirstPartyCaveat("weather_valid_until=1700000000")
                                      .withFirstPartyCaveat("services=weather:0")
                                      .withFirstPartyCaveat("ip=127.0.0.1")
                                      .withFirstPartyCaveat(QByteArray("\x01\x02", 2));
        const ApertureCaveats caveats = ApertureCaveats::fromMacaroon(macaroon);
        QCOMPARE(caveats.services, (QList<ServiceTier>{{QStringLiteral("weather"), 0}}));
        QCOMPARE(caveats.capabilities.size(), 1);
        QCOMPARE(caveats.capabilities.first().second,
                 (QStringList{QStringLiteral("read"), QStringLiteral("forecast")}));
        QCOMPARE(caveats.earliestValidUntil(), std::optional<qint64>(1700000000));
        QCOMPARE(caveats.all.size(), 6);
        QCOMPARE(caveats.all.at(5).key, QStringLiteral("ip"));
        QCOMPARE(caveats.unparsed.size(), 1);
    }

    void decodeJsonShape()
    {
        L402Identifier identifier{0, QByteArray(32, '\x01'), QByteArray(32, '\x02')};
        const Macaroon macaroon =
            Macaroon::mint("k", identifier.encode(), QStringLiteral("aperture"))
                .withFirstPartyCaveat("services=svc:0");
        auto decoded = decodeAnything(QString::fromLatin1(macaroon.toBase64()));
        QVERIFY(decoded.ok());
        QCOMPARE(decoded->first, InputKind::Macaroon);
        const QJsonObject json = decoded->second;
        QCOMPARE(json.value(QStringLiteral("type")).toString(), QStringLiteral("macaroon"));
        QCOMPARE(json.value(QStringLiteral("version")).toInt(), 2);
        QCOMPARE(json.value(QStringLiteral("location")).toString(), QStringLiteral("aperture"));
        QCOMPARE(json.value(QStringLiteral("l402"))
                     .toObject()
                     .value(QStringLiteral("payment_hash"))
                     .toString(),
                 QString(64, QLatin1Char('0')).replace(QStringLiteral("00"), QStringLiteral("01")));
        QCOMPARE(json.value(QStringLiteral("caveats"))
                     .toArray()
                     .first()
                     .toObject()
                     .value(QStringLiteral("id"))
                     .toString(),
                 QStringLiteral("services=svc:0"));
        QCOMPARE(json.value(QStringLiteral("signature")).toString(),
                 QString::fromLatin1(macaroon.signature().toHex()));
    }

    // Random macaroons survive both wire formats, and any single flipped bit either fails
    // to parse or breaks the signature.
    void randomRoundTripsAndTamper()
    {
        QRandomGenerator random(l402::test::testSeed("randomRoundTripsAndTamper"));
        for (int i = 0; i < 200; ++i) {
            const QByteArray rootKey = l402::test::randomBytes(random, 32);
            Macaroon macaroon =
                Macaroon::mint(rootKey, l402::test::randomBytes(random, random.bounded(1, 80)),
                               random.bounded(2) ? QStringLiteral("loc") : QString());
            for (int c = random.bounded(6); c > 0; --c) {
                macaroon = random.bounded(4) == 0
                               ? macaroon.withThirdPartyCaveat(l402::test::randomBytes(random, 20),
                                                               l402::test::randomBytes(random, 48),
                                                               QStringLiteral("https://tp"))
                               : macaroon.withFirstPartyCaveat(
                                     l402::test::randomBytes(random, random.bounded(1, 60)));
            }
            QByteArray wire = macaroon.toBinaryV2();
            auto parsed = Macaroon::fromBinary(wire);
            QVERIFY(parsed.ok());
            QVERIFY(parsed->verifySignature(rootKey));
            const qsizetype at = random.bounded(qsizetype(1), wire.size());
            wire[at] = static_cast<char>(wire.at(at) ^ (1 << random.bounded(8)));
            auto tampered = Macaroon::fromBinary(wire);
            if (tampered.ok() && tampered->verifySignature(rootKey)) {
                // Locations are hints outside the HMAC chain by design; every signed part
                // must be untouched for the signature to hold.
                QCOMPARE(tampered->identifier(), macaroon.identifier());
                QCOMPARE(tampered->signature(), macaroon.signature());
                QCOMPARE(tampered->caveats().size(), macaroon.caveats().size());
                for (qsizetype c = 0; c < macaroon.caveats().size(); ++c) {
                    QCOMPARE(tampered->caveats().at(c).id, macaroon.caveats().at(c).id);
                    QCOMPARE(tampered->caveats().at(c).verificationId,
                             macaroon.caveats().at(c).verificationId);
                }
            }
        }
    }
};

QTEST_GUILESS_MAIN(MacaroonTest)
#include "MacaroonTest.moc"
