#include "core/protocol/Bech32.h"

#include <QTest>

using namespace l402::protocol;

// BIP-173 and BIP-350 published vectors (valid/invalid checksums, addresses).
class Bech32Test : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void validChecksums_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<bool>("bech32m");
        QTest::newRow("bip173 A12UEL5L") << QStringLiteral("A12UEL5L") << false;
        QTest::newRow("bip173 a12uel5l") << QStringLiteral("a12uel5l") << false;
        QTest::newRow("bip173 long hrp")
            << QStringLiteral("an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcl"
                              "udedcharactersbio1tt5tgs")
            << false;
        QTest::newRow("bip173 abcdef")
            << QStringLiteral("abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw") << false;
        QTest::newRow("bip173 split")
            << QStringLiteral("split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w")
            << false;
        QTest::newRow("bip173 ?1ezyfcl") << QStringLiteral("?1ezyfcl") << false;
        QTest::newRow("bip350 A1LQFN3A") << QStringLiteral("A1LQFN3A") << true;
        QTest::newRow("bip350 abcdef")
            << QStringLiteral("abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx") << true;
        QTest::newRow("bip350 ?1v759aa") << QStringLiteral("?1v759aa") << true;
    }
    void validChecksums()
    {
        QFETCH(QString, text);
        QFETCH(bool, bech32m);
        auto decoded = bech32Decode(text, 90);
        QVERIFY2(decoded.ok(), qPrintable(decoded.ok() ? QString() : decoded.error().message));
        QCOMPARE(decoded->variant == Bech32Variant::Bech32m, bech32m);
        // Re-encoding gives the lower-case original back.
        QCOMPARE(bech32Encode(decoded->hrp, decoded->words, decoded->variant), text.toLower());
    }

    void invalidStrings_data()
    {
        QTest::addColumn<QString>("text");
        QTest::newRow("hrp char 0x20") << QStringLiteral(" 1nwldj5");
        QTest::newRow("hrp char 0x7f") << (QChar(0x7f) + QStringLiteral("1axkwrx"));
        QTest::newRow("overall max length exceeded")
            << QStringLiteral("an84characterslonghumanreadablepartthatcontainsthenumber1andthe"
                              "excludedcharactersbio1569pvx");
        QTest::newRow("no separator") << QStringLiteral("pzry9x0s0muk");
        QTest::newRow("empty hrp") << QStringLiteral("1pzry9x0s0muk");
        QTest::newRow("invalid data char") << QStringLiteral("x1b4n0q5v");
        QTest::newRow("too short checksum") << QStringLiteral("li1dgmt3");
        QTest::newRow("invalid char in checksum") << (QStringLiteral("de1lg7wt") + QChar(0xff));
        QTest::newRow("checksum upper case") << QStringLiteral("A1G7SGD8");
        QTest::newRow("empty hrp 2") << QStringLiteral("10a06t8");
        QTest::newRow("empty hrp 3") << QStringLiteral("1qzzfhee");
        QTest::newRow("mixed case") << QStringLiteral("A12uEL5L");
    }
    void invalidStrings()
    {
        QFETCH(QString, text);
        QVERIFY(!bech32Decode(text, 90).ok());
    }

    void addresses_data()
    {
        QTest::addColumn<QString>("hrp");
        QTest::addColumn<int>("version");
        QTest::addColumn<QByteArray>("program");
        QTest::addColumn<QString>("address");
        QTest::newRow("p2wpkh") << QStringLiteral("bc") << 0
                                << QByteArray::fromHex("751e76e8199196d454941c45d1b3a323f1433bd6")
                                << QStringLiteral("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4");
        QTest::newRow("p2wsh testnet")
            << QStringLiteral("tb") << 0
            << QByteArray::fromHex(
                   "1863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262")
            << QStringLiteral("tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7");
        QTest::newRow("bip350 witness v1 bech32m")
            << QStringLiteral("bc") << 1
            << QByteArray::fromHex("751e76e8199196d454941c45d1b3a323f1433bd6751e76e8199196d4549"
                                   "41c45d1b3a323f1433bd6")
            << QStringLiteral("bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5x"
                              "w7kt5nd6y");
    }
    void addresses()
    {
        QFETCH(QString, hrp);
        QFETCH(int, version);
        QFETCH(QByteArray, program);
        QFETCH(QString, address);
        QCOMPARE(segwitAddress(hrp, version, program), address);
        auto decoded = bech32Decode(address, 90);
        QVERIFY(decoded.ok());
        QCOMPARE(decoded->words.front(), uint8_t(version));
        std::vector<uint8_t> rest(decoded->words.begin() + 1, decoded->words.end());
        auto bytes = fromWords(rest, TrailingBits::MustBeZero);
        QVERIFY(bytes.ok());
        QCOMPARE(bytes.value(), program);
    }

    void base58Check()
    {
        // P2PKH of the BOLT 11 example "1RustyRX2oai4EYYDpQGWvEL62BBGqN9T".
        QCOMPARE(
            base58CheckEncode(QByteArray::fromHex("0004b61f7dc1ea0dc99424464cc4064dc564d91e89")),
            QStringLiteral("1RustyRX2oai4EYYDpQGWvEL62BBGqN9T"));
        // Leading zero bytes become leading '1's.
        QCOMPARE(base58CheckEncode(QByteArray(1, '\0')).left(1), QStringLiteral("1"));
    }

    void paddingRules()
    {
        // 8 bits need two words; the last word's trailing 2 bits must be zero in strict mode.
        QVERIFY(fromWords({0x1f, 0x1c}, TrailingBits::MustBeZero).ok());
        QVERIFY(!fromWords({0x1f, 0x1d}, TrailingBits::MustBeZero).ok());
        // Signing data pads to the next byte.
        QCOMPARE(fromWords({0x1f}, TrailingBits::PadToByte).value(), QByteArray(1, char(0xf8)));
        QCOMPARE(fromWords({0x1f}, TrailingBits::Discard).value(), QByteArray());
    }
};

QTEST_GUILESS_MAIN(Bech32Test)
#include "Bech32Test.moc"
