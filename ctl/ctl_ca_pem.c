/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_ca_pem.c - the CA's files: reading certificates and keys in PEM,
 * writing them with the right modes, and the error messages of the module.
 *
 * A key file is opened first and its mode checked on that descriptor, so a
 * file swapped between a check and the read cannot slip through. Key bytes
 * are read into a buffer that is cleansed before it is freed. Reentrant:
 * OpenSSL's error queue is per thread.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* GNU strerror_r() */
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "ctl_ca_internal.h"

#define PEM_FILE_MAX (1u << 20) /* a bundle of many roots fits; bounds a wrong path */

int
ca_fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	unsigned long e = ERR_peek_error();
	va_list ap;
	int n;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		n = vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
		if (e != 0 && n >= 0 && (size_t)n + 2 < errlen) {
			snprintf(err + n, errlen - (size_t)n, ": ");
			ERR_error_string_n(e, err + n + 2, errlen - (size_t)n - 2);
		}
	}
	ERR_clear_error();
	return rc;
}

static int
sys_fail(char *err, size_t errlen, int e, const char *what, const char *path)
{
	char buf[128];

	return ca_fail(err, errlen, -e, "%s %s: %s", what, path, strerror_r(e, buf, sizeof(buf)));
}

/* The whole of fd (at most PEM_FILE_MAX bytes) into a new buffer. */
static char *
slurp(int fd, size_t *len)
{
	struct stat st;
	char *buf;
	size_t n = 0;

	if (fstat(fd, &st) != 0)
		return NULL;
	if (!S_ISREG(st.st_mode) || st.st_size > PEM_FILE_MAX) {
		errno = S_ISREG(st.st_mode) ? EFBIG : EINVAL;
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	while (buf != NULL && n < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + n, (size_t)st.st_size - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	if (buf != NULL && n < (size_t)st.st_size) {
		OPENSSL_cleanse(buf, n);
		free(buf);
		buf = NULL;
		errno = EIO;
	}
	*len = n;
	return buf;
}

STACK_OF(X509) * ca_read_certs(const char *path, char *err, size_t errlen)
{
	STACK_OF(X509) *certs = NULL;
	BIO *bio = NULL;
	X509 *x;
	size_t len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC), e;
	char *buf = fd < 0 ? NULL : slurp(fd, &len);

	e = errno;
	if (fd >= 0)
		close(fd);
	if (buf == NULL) {
		errno = e;
		sys_fail(err, errlen, e, "certificate file", path);
		return NULL;
	}
	certs = sk_X509_new_null();
	bio = BIO_new_mem_buf(buf, (int)len);
	while (certs != NULL && bio != NULL && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
		if (!sk_X509_push(certs, x)) {
			X509_free(x);
			break;
		}
	}
	/* the loop ends on "no start line" after the last certificate */
	e = ERR_GET_REASON(ERR_peek_last_error());
	if (certs == NULL || sk_X509_num(certs) == 0 || e != PEM_R_NO_START_LINE) {
		errno = EINVAL;
		ca_fail(err, errlen, -EINVAL, "certificate file %s: %s", path,
			certs != NULL && sk_X509_num(certs) == 0 && e == PEM_R_NO_START_LINE
				? "no PEM certificate in it"
				: "unreadable PEM");
		sk_X509_pop_free(certs, X509_free);
		certs = NULL;
	}
	ERR_clear_error();
	BIO_free(bio);
	free(buf);
	return certs;
}

/* Encrypted keys would otherwise prompt on the terminal. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

EVP_PKEY *
ca_read_key(const char *path, char *err, size_t errlen)
{
	EVP_PKEY *key = NULL;
	struct stat st;
	BIO *bio;
	size_t len = 0;
	char *buf = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC), e = 0;

	if (fd < 0 || fstat(fd, &st) != 0) {
		e = errno;
	} else if ((st.st_mode & 077) != 0) {
		/* a CA key others can read signs for the whole mesh */
		ca_fail(err, errlen, -EPERM,
			"key file %s is open to group or others (mode %04o): refused; make it "
			"0600 or stricter",
			path, (unsigned int)(st.st_mode & 07777));
		close(fd);
		errno = EPERM;
		return NULL;
	} else if ((buf = slurp(fd, &len)) == NULL) {
		e = errno;
	}
	if (fd >= 0)
		close(fd);
	if (buf == NULL) {
		sys_fail(err, errlen, e, "key file", path);
		errno = e;
		return NULL;
	}
	bio = BIO_new_mem_buf(buf, (int)len);
	if (bio != NULL)
		key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	OPENSSL_cleanse(buf, len);
	free(buf);
	if (key == NULL) {
		/* OpenSSL's reasons name no key bytes */
		ca_fail(err, errlen, -EINVAL,
			"key file %s: no unencrypted PEM private key could be read", path);
		errno = EINVAL;
	}
	ERR_clear_error();
	return key;
}

/* Opens path for writing with mode: O_EXCL, or a temporary beside it. */
static int
open_out(const char *path, bool excl, mode_t mode, char *tmp, size_t tmplen)
{
	int fd;

	if (excl) {
		snprintf(tmp, tmplen, "%s", path);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	} else {
		snprintf(tmp, tmplen, "%s.tmp-XXXXXX", path);
		fd = mkostemp(tmp, O_CLOEXEC);
	}
	/* exactly mode whatever the umask (mkostemp makes 0600) */
	if (fd >= 0 && fchmod(fd, mode) != 0) {
		int e = errno;
		close(fd);
		unlink(tmp);
		errno = e;
		return -1;
	}
	return fd;
}

typedef int (*pem_writer)(BIO *bio, void *arg1, void *arg2);

/* Writes through w into path (see ca_write_certs). */
static int
write_file(const char *path, bool excl, mode_t mode, pem_writer w, void *a1, void *a2, char *err,
	   size_t errlen)
{
	char tmp[PATH_MAX + 16];
	int fd = open_out(path, excl, mode, tmp, sizeof(tmp)), rc = 0, e;
	BIO *bio;

	if (fd < 0)
		return sys_fail(err, errlen, errno, "cannot create", path);
	bio = BIO_new_fd(fd, BIO_NOCLOSE);
	if (bio == NULL || !w(bio, a1, a2) || BIO_flush(bio) != 1)
		rc = ca_fail(err, errlen, -EIO, "cannot write %s", path);
	BIO_free(bio);
	if (rc == 0 && fsync(fd) != 0)
		rc = sys_fail(err, errlen, errno, "cannot write", path);
	e = close(fd) != 0 ? errno : 0;
	if (rc == 0 && e != 0)
		rc = sys_fail(err, errlen, e, "cannot write", path);
	if (rc == 0 && !excl && rename(tmp, path) != 0)
		rc = sys_fail(err, errlen, errno, "cannot replace", path);
	if (rc < 0)
		unlink(tmp);
	return rc;
}

static int
put_certs(BIO *bio, void *first, void *rest)
{
	STACK_OF(X509) *sk = rest;

	if (!PEM_write_bio_X509(bio, first))
		return 0;
	for (int i = 0; sk != NULL && i < sk_X509_num(sk); i++)
		if (!PEM_write_bio_X509(bio, sk_X509_value(sk, i)))
			return 0;
	return 1;
}

static int
put_key(BIO *bio, void *key, void *unused)
{
	(void)unused;
	return PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL);
}

int
ca_write_certs(const char *path, X509 *first, STACK_OF(X509) * rest, bool excl, char *err,
	       size_t errlen)
{
	return write_file(path, excl, 0644, put_certs, first, rest, err, errlen);
}

int
ca_write_key(const char *path, EVP_PKEY *key, bool excl, char *err, size_t errlen)
{
	return write_file(path, excl, 0600, put_key, key, NULL, err, errlen);
}
