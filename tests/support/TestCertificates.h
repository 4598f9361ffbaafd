#pragma once

#include "core/util/Result.h"

#include <QByteArray>
#include <QDateTime>
#include <QHostAddress>
#include <QList>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslKey>
#include <QString>
#include <QStringList>

namespace l402::test {

// Certificates made by OpenSSL at test time, so no key material lives in the tree and every
// run can choose its own names and validity (an expired or not-yet-valid certificate is one
// field away).

enum class CertificateKeyType { EcP256, Rsa2048 };

struct CertificateSpec {
    QString commonName = QStringLiteral("localhost");
    QStringList dnsNames{QStringLiteral("localhost")};
    QList<QHostAddress> ipAddresses{QHostAddress(QHostAddress::LocalHost),
                                    QHostAddress(QHostAddress::LocalHostIPv6)};
    CertificateKeyType keyType = CertificateKeyType::EcP256;
    QDateTime notBefore = QDateTime::currentDateTimeUtc().addSecs(-3600);
    QDateTime notAfter = QDateTime::currentDateTimeUtc().addDays(30);
};

// The defaults for a test certificate authority: no subject alternative names.
CertificateSpec authorityCertificateSpec();

struct GeneratedCertificate {
    CertificateKeyType keyType = CertificateKeyType::EcP256;
    QByteArray certificatePem;
    QByteArray certificateDer;
    QByteArray privateKeyPem; // PKCS#8 "PRIVATE KEY", unencrypted
    QByteArray privateKeyDer; // PKCS#8

    QSslCertificate certificate() const;
    QSslKey privateKey() const;
};

struct CertificateChain {
    GeneratedCertificate authority; // self-signed, CA:TRUE, keyCertSign
    GeneratedCertificate leaf;      // signed by authority, CA:FALSE, serverAuth
};

// A self-signed server certificate shaped like the one LND writes to tls.cert: CA:TRUE, so a
// client can trust it directly as its own root, plus serverAuth and the spec's SANs.
Result<GeneratedCertificate> makeSelfSignedCertificate(const CertificateSpec& spec = {});

// A small CA and a leaf it signed (Core Lightning's ca.pem + server.pem layout).
Result<CertificateChain>
makeCertificateChain(const CertificateSpec& leafSpec = {},
                     const CertificateSpec& authoritySpec = authorityCertificateSpec());

// SHA-256 of the certificate's DER SubjectPublicKeyInfo (32 bytes; empty when the certificate
// cannot be parsed): the value of an HPKP / curl `sha256//<base64>` pin.
QByteArray spkiSha256(const QSslCertificate& certificate);

// "sha256//<base64 of spkiSha256>", the form CURLOPT_PINNEDPUBLICKEY takes.
QByteArray curlPinnedPublicKey(const QSslCertificate& certificate);

// A server configuration presenting `certificate` (and `chain` after it), asking nothing of
// the client.
QSslConfiguration serverTlsConfiguration(const GeneratedCertificate& certificate,
                                         const QList<QSslCertificate>& chain = {});

// A client configuration that trusts exactly `authorities` and nothing from the system store.
QSslConfiguration clientTlsConfigurationTrusting(const QList<QSslCertificate>& authorities);

} // namespace l402::test
