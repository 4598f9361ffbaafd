#include "tests/support/TestCertificates.h"

#include <QCryptographicHash>
#include <QSslSocket>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

namespace l402::test {

namespace {

struct OpenSslFree {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
    void operator()(X509* certificate) const { X509_free(certificate); }
    void operator()(X509_EXTENSION* extension) const { X509_EXTENSION_free(extension); }
    void operator()(BIO* bio) const { BIO_free(bio); }
    void operator()(BIGNUM* number) const { BN_free(number); }
};
template <typename T> using OpenSslPointer = std::unique_ptr<T, OpenSslFree>;

struct KeyedCertificate {
    OpenSslPointer<EVP_PKEY> key;
    OpenSslPointer<X509> certificate;
};

Error openSslError(const char* what)
{
    QByteArray detail;
    while (const unsigned long code = ERR_get_error()) {
        char text[256] = {};
        ERR_error_string_n(code, text, sizeof text);
        if (!detail.isEmpty()) {
            detail.append("; ");
        }
        detail.append(text);
    }
    QString message = QString::fromLatin1(what);
    if (!detail.isEmpty()) {
        message += QStringLiteral(": ") + QString::fromLatin1(detail);
    }
    return Error{QStringLiteral("openssl"), message};
}

OpenSslPointer<EVP_PKEY> generateKey(CertificateKeyType type)
{
    switch (type) {
    case CertificateKeyType::Rsa2048:
        return OpenSslPointer<EVP_PKEY>(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048}));
    case CertificateKeyType::EcP256:
        break;
    }
    return OpenSslPointer<EVP_PKEY>(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
}

bool setRandomSerial(X509* certificate)
{
    unsigned char bytes[16] = {};
    if (RAND_bytes(bytes, sizeof bytes) != 1) {
        return false;
    }
    bytes[0] &= 0x7f; // a positive INTEGER
    bytes[0] |= 0x01; // and never zero
    OpenSslPointer<BIGNUM> number(BN_bin2bn(bytes, sizeof bytes, nullptr));
    return number && BN_to_ASN1_INTEGER(number.get(), X509_get_serialNumber(certificate));
}

bool setSubject(X509* certificate, const QString& commonName)
{
    X509_NAME* name = X509_get_subject_name(certificate);
    const QByteArray organisation = QByteArrayLiteral("L402 Wallet tests");
    const QByteArray common = commonName.toUtf8();
    return X509_NAME_add_entry_by_txt(
               name, "O", MBSTRING_UTF8,
               reinterpret_cast<const unsigned char*>(organisation.constData()), -1, -1, 0) &&
           X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                      reinterpret_cast<const unsigned char*>(common.constData()),
                                      -1, -1, 0);
}

bool addExtension(X509* certificate, X509V3_CTX* context, int nid, const QByteArray& value)
{
    OpenSslPointer<X509_EXTENSION> extension(
        X509V3_EXT_nconf_nid(nullptr, context, nid, value.constData()));
    return extension && X509_add_ext(certificate, extension.get(), -1);
}

QByteArray subjectAltNames(const CertificateSpec& spec)
{
    QByteArray names;
    for (const QString& dns : spec.dnsNames) {
        names.append(names.isEmpty() ? "" : ",");
        names.append("DNS:");
        names.append(dns.toUtf8());
    }
    for (const QHostAddress& address : spec.ipAddresses) {
        names.append(names.isEmpty() ? "" : ",");
        names.append("IP:");
        names.append(address.toString().toLatin1());
    }
    return names;
}

enum class Role { SelfSignedServer, Authority, Leaf };

// Builds and signs one certificate; `issuer` is null for a self-signed one.
Result<KeyedCertificate> makeCertificate(const CertificateSpec& spec, Role role,
                                         const KeyedCertificate* issuer)
{
    KeyedCertificate made;
    made.key = generateKey(spec.keyType);
    if (!made.key) {
        return openSslError("key generation failed");
    }
    made.certificate.reset(X509_new());
    X509* certificate = made.certificate.get();
    if (!certificate || !X509_set_version(certificate, X509_VERSION_3) ||
        !setRandomSerial(certificate) ||
        !ASN1_TIME_set(X509_getm_notBefore(certificate),
                       static_cast<time_t>(spec.notBefore.toSecsSinceEpoch())) ||
        !ASN1_TIME_set(X509_getm_notAfter(certificate),
                       static_cast<time_t>(spec.notAfter.toSecsSinceEpoch())) ||
        !setSubject(certificate, spec.commonName) ||
        !X509_set_issuer_name(certificate, issuer ? X509_get_subject_name(issuer->certificate.get())
                                                  : X509_get_subject_name(certificate)) ||
        !X509_set_pubkey(certificate, made.key.get())) {
        return openSslError("certificate fields could not be set");
    }

    X509V3_CTX context{};
    X509V3_set_ctx(&context, issuer ? issuer->certificate.get() : certificate, certificate, nullptr,
                   nullptr, 0);
    const bool rsa = spec.keyType == CertificateKeyType::Rsa2048;
    QByteArray keyUsage;
    QByteArray basicConstraints;
    switch (role) {
    case Role::SelfSignedServer:
        basicConstraints = QByteArrayLiteral("critical,CA:TRUE");
        keyUsage = rsa ? QByteArrayLiteral("critical,digitalSignature,keyEncipherment,keyCertSign")
                       : QByteArrayLiteral("critical,digitalSignature,keyCertSign");
        break;
    case Role::Authority:
        basicConstraints = QByteArrayLiteral("critical,CA:TRUE,pathlen:0");
        keyUsage = QByteArrayLiteral("critical,keyCertSign,cRLSign");
        break;
    case Role::Leaf:
        basicConstraints = QByteArrayLiteral("critical,CA:FALSE");
        keyUsage = rsa ? QByteArrayLiteral("critical,digitalSignature,keyEncipherment")
                       : QByteArrayLiteral("critical,digitalSignature");
        break;
    }
    if (!addExtension(certificate, &context, NID_basic_constraints, basicConstraints) ||
        !addExtension(certificate, &context, NID_key_usage, keyUsage) ||
        !addExtension(certificate, &context, NID_subject_key_identifier,
                      QByteArrayLiteral("hash"))) {
        return openSslError("certificate extensions could not be added");
    }
    if (role != Role::Authority &&
        !addExtension(certificate, &context, NID_ext_key_usage, QByteArrayLiteral("serverAuth"))) {
        return openSslError("extended key usage could not be added");
    }
    if (issuer && !addExtension(certificate, &context, NID_authority_key_identifier,
                                QByteArrayLiteral("keyid:always"))) {
        return openSslError("authority key identifier could not be added");
    }
    const QByteArray altNames = subjectAltNames(spec);
    if (!altNames.isEmpty() &&
        !addExtension(certificate, &context, NID_subject_alt_name, altNames)) {
        return openSslError("subject alternative names could not be added");
    }
    EVP_PKEY* signingKey = issuer ? issuer->key.get() : made.key.get();
    if (X509_sign(certificate, signingKey, EVP_sha256()) <= 0) {
        return openSslError("certificate signing failed");
    }
    return Result<KeyedCertificate>(std::move(made));
}

QByteArray drain(BIO* bio)
{
    QByteArray bytes(static_cast<qsizetype>(BIO_ctrl_pending(bio)), Qt::Uninitialized);
    if (!bytes.isEmpty() && BIO_read(bio, bytes.data(), static_cast<int>(bytes.size())) !=
                                static_cast<int>(bytes.size())) {
        return {};
    }
    return bytes;
}

Result<GeneratedCertificate> encode(const KeyedCertificate& made, CertificateKeyType keyType)
{
    GeneratedCertificate encoded;
    encoded.keyType = keyType;
    OpenSslPointer<BIO> certificatePem(BIO_new(BIO_s_mem()));
    OpenSslPointer<BIO> certificateDer(BIO_new(BIO_s_mem()));
    OpenSslPointer<BIO> keyPem(BIO_new(BIO_s_mem()));
    OpenSslPointer<BIO> keyDer(BIO_new(BIO_s_mem()));
    if (!certificatePem || !certificateDer || !keyPem || !keyDer ||
        !PEM_write_bio_X509(certificatePem.get(), made.certificate.get()) ||
        !i2d_X509_bio(certificateDer.get(), made.certificate.get()) ||
        !PEM_write_bio_PKCS8PrivateKey(keyPem.get(), made.key.get(), nullptr, nullptr, 0, nullptr,
                                       nullptr) ||
        !i2d_PKCS8PrivateKey_bio(keyDer.get(), made.key.get(), nullptr, nullptr, 0, nullptr,
                                 nullptr)) {
        return openSslError("encoding failed");
    }
    encoded.certificatePem = drain(certificatePem.get());
    encoded.certificateDer = drain(certificateDer.get());
    encoded.privateKeyPem = drain(keyPem.get());
    encoded.privateKeyDer = drain(keyDer.get());
    if (encoded.certificatePem.isEmpty() || encoded.certificateDer.isEmpty() ||
        encoded.privateKeyPem.isEmpty() || encoded.privateKeyDer.isEmpty()) {
        return Error{QStringLiteral("openssl"), QStringLiteral("encoding produced no bytes")};
    }
    return encoded;
}

} // namespace

CertificateSpec authorityCertificateSpec()
{
    CertificateSpec spec;
    spec.commonName = QStringLiteral("L402 Wallet Test CA");
    spec.dnsNames.clear();
    spec.ipAddresses.clear();
    return spec;
}

QSslCertificate GeneratedCertificate::certificate() const
{
    return QSslCertificate(certificateDer, QSsl::Der);
}

QSslKey GeneratedCertificate::privateKey() const
{
    const QSsl::KeyAlgorithm algorithm =
        keyType == CertificateKeyType::Rsa2048 ? QSsl::Rsa : QSsl::Ec;
    return QSslKey(privateKeyPem, algorithm, QSsl::Pem, QSsl::PrivateKey);
}

Result<GeneratedCertificate> makeSelfSignedCertificate(const CertificateSpec& spec)
{
    auto made = makeCertificate(spec, Role::SelfSignedServer, nullptr);
    if (!made) {
        return made.error();
    }
    return encode(*made, spec.keyType);
}

Result<CertificateChain> makeCertificateChain(const CertificateSpec& leafSpec,
                                              const CertificateSpec& authoritySpec)
{
    auto authority = makeCertificate(authoritySpec, Role::Authority, nullptr);
    if (!authority) {
        return authority.error();
    }
    auto leaf = makeCertificate(leafSpec, Role::Leaf, &authority.value());
    if (!leaf) {
        return leaf.error();
    }
    auto authorityEncoded = encode(*authority, authoritySpec.keyType);
    if (!authorityEncoded) {
        return authorityEncoded.error();
    }
    auto leafEncoded = encode(*leaf, leafSpec.keyType);
    if (!leafEncoded) {
        return leafEncoded.error();
    }
    return CertificateChain{std::move(authorityEncoded).value(), std::move(leafEncoded).value()};
}

QByteArray spkiSha256(const QSslCertificate& certificate)
{
    const QByteArray der = certificate.toDer();
    const auto* cursor = reinterpret_cast<const unsigned char*>(der.constData());
    OpenSslPointer<X509> parsed(d2i_X509(nullptr, &cursor, static_cast<long>(der.size())));
    if (!parsed) {
        ERR_clear_error();
        return {};
    }
    X509_PUBKEY* publicKey = X509_get_X509_PUBKEY(parsed.get());
    const int length = i2d_X509_PUBKEY(publicKey, nullptr);
    if (length <= 0) {
        return {};
    }
    QByteArray spki(length, Qt::Uninitialized);
    auto* out = reinterpret_cast<unsigned char*>(spki.data());
    if (i2d_X509_PUBKEY(publicKey, &out) != length) {
        return {};
    }
    return QCryptographicHash::hash(spki, QCryptographicHash::Sha256);
}

QByteArray curlPinnedPublicKey(const QSslCertificate& certificate)
{
    QByteArray pin = QByteArrayLiteral("sha256//");
    pin.append(spkiSha256(certificate).toBase64());
    return pin;
}

QSslConfiguration serverTlsConfiguration(const GeneratedCertificate& certificate,
                                         const QList<QSslCertificate>& chain)
{
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    QList<QSslCertificate> presented{certificate.certificate()};
    presented.append(chain);
    configuration.setLocalCertificateChain(presented);
    configuration.setPrivateKey(certificate.privateKey());
    configuration.setPeerVerifyMode(QSslSocket::VerifyNone);
    return configuration;
}

QSslConfiguration clientTlsConfigurationTrusting(const QList<QSslCertificate>& authorities)
{
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setCaCertificates(authorities); // also turns off on-demand system roots
    configuration.setPeerVerifyMode(QSslSocket::VerifyPeer);
    return configuration;
}

} // namespace l402::test
