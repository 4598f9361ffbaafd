#include "core/crypto/SecureBytes.h"

#include <openssl/crypto.h>

#include <utility>

namespace l402::crypto {

void scrub(QByteArray& bytes)
{
    if (!bytes.isEmpty() && !bytes.isDetached()) {
        // Shared buffer: another owner still needs the bytes; dropping our reference is all
        // that can be done without corrupting it.
        bytes = QByteArray();
        return;
    }
    if (!bytes.isEmpty()) {
        OPENSSL_cleanse(bytes.data(), static_cast<size_t>(bytes.size()));
    }
    bytes = QByteArray();
}

SecureBytes::SecureBytes(QByteArrayView bytes)
    : m_bytes(bytes.data(), bytes.size())
{
}

SecureBytes::~SecureBytes()
{
    clear();
}

SecureBytes::SecureBytes(SecureBytes&& other) noexcept
    : m_bytes(std::exchange(other.m_bytes, QByteArray()))
{
}

SecureBytes& SecureBytes::operator=(SecureBytes&& other) noexcept
{
    if (this != &other) {
        clear();
        m_bytes = std::exchange(other.m_bytes, QByteArray());
    }
    return *this;
}

void SecureBytes::clear()
{
    scrub(m_bytes);
}

} // namespace l402::crypto
