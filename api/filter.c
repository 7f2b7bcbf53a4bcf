/* OData $filter parser: a tokenizer and a recursive-descent parser with depth and length limits. */
#include "service/base/guid.h"
#include "api/filter.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "service/base/text.h"

enum tok_type {
    TOK_END,
    TOK_WORD,   /* identifier, keyword, unquoted literal */
    TOK_STRING, /* 'quoted' */
    TOK_LPAREN,
    TOK_RPAREN,
    TOK_COMMA,
    TOK_COLON,
    TOK_SLASH,
};

struct parser {
    const char *src;
    size_t pos;
    enum tok_type tok;
    char *text; /* owned: the current token's text (words and unescaped strings) */
    size_t tok_start;
    int depth;
    struct lic_error *err;
    int failed;
};

static int fail_syntax(struct parser *p, const char *why)
{
    if (!p->failed)
        lic_error_set(p->err, LIC_ERR_BAD_REQUEST, "BadRequest",
                      "Invalid filter clause: %s at position %zu.", why, p->tok_start);
    p->failed = 1;
    return -1;
}

static int fail_unsupported(struct parser *p, const char *clause)
{
    if (!p->failed)
        lic_error_set(p->err, LIC_ERR_BAD_REQUEST, "Request_UnsupportedQuery",
                      "Unsupported query filter clause: '%.200s'.", clause);
    p->failed = 1;
    return -1;
}

static int word_char(char c, int numeric)
{
    return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '-' ||
           (numeric && (c == ':' || c == '+'));
}

/* Advances to the next token; returns -1 on a lexical error. */
static int next(struct parser *p)
{
    free(p->text);
    p->text = NULL;
    while (p->src[p->pos] == ' ' || p->src[p->pos] == '\t')
        p->pos++;
    p->tok_start = p->pos;
    char c = p->src[p->pos];
    switch (c) {
    case '\0':
        p->tok = TOK_END;
        return 0;
    case '(':
        p->tok = TOK_LPAREN;
        p->pos++;
        return 0;
    case ')':
        p->tok = TOK_RPAREN;
        p->pos++;
        return 0;
    case ',':
        p->tok = TOK_COMMA;
        p->pos++;
        return 0;
    case ':':
        p->tok = TOK_COLON;
        p->pos++;
        return 0;
    case '/':
        p->tok = TOK_SLASH;
        p->pos++;
        return 0;
    case '\'': {
        size_t len = strlen(p->src + p->pos);
        char *out = malloc(len + 1);
        if (out == NULL)
            return fail_syntax(p, "out of memory");
        size_t o = 0;
        p->pos++;
        for (;;) {
            char d = p->src[p->pos];
            if (d == '\0') {
                free(out);
                return fail_syntax(p, "unterminated string literal");
            }
            p->pos++;
            if (d == '\'') {
                if (p->src[p->pos] == '\'') { /* '' is an escaped quote */
                    out[o++] = '\'';
                    p->pos++;
                    continue;
                }
                break;
            }
            out[o++] = d;
        }
        out[o] = '\0';
        p->text = out;
        p->tok = TOK_STRING;
        return 0;
    }
    default:
        break;
    }
    int numeric = isdigit((unsigned char)c);
    size_t n = 0;
    while (word_char(p->src[p->pos + n], numeric))
        n++;
    if (n == 0)
        return fail_syntax(p, "unexpected character");
    p->text = strndup(p->src + p->pos, n);
    if (p->text == NULL)
        return fail_syntax(p, "out of memory");
    p->pos += n;
    p->tok = TOK_WORD;
    return 0;
}

static int is_word(const struct parser *p, const char *w)
{
    return p->tok == TOK_WORD && strcasecmp(p->text, w) == 0;
}

static int expect(struct parser *p, enum tok_type t, const char *what)
{
    if (p->tok != t)
        return fail_syntax(p, what);
    return next(p);
}

static int is_identifier(const char *s)
{
    if (!isalpha((unsigned char)s[0]) && s[0] != '_')
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_')
            return 0;
    return 1;
}

static int is_datetime(const char *s)
{
    /* Shape only: YYYY-MM-DDTHH:MM:SS[.f+](Z|+hh:mm|-hh:mm); the compiler checks the values. */
    const char *shape = "dddd-dd-ddTdd:dd:dd";
    for (size_t i = 0; shape[i]; i++) {
        if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i])
            return 0;
    }
    s += strlen(shape);
    if (*s == '.') {
        s++;
        size_t digits = strspn(s, "0123456789");
        if (digits == 0 || digits > FILTER_MAX_FRACTION_DIGITS)
            return 0;
        s += digits;
    }
    if (strcmp(s, "Z") == 0)
        return 1;
    return (s[0] == '+' || s[0] == '-') && isdigit((unsigned char)s[1]) &&
           isdigit((unsigned char)s[2]) && s[3] == ':' && isdigit((unsigned char)s[4]) &&
           isdigit((unsigned char)s[5]) && s[6] == '\0';
}

/* Takes the current token as a literal (moves its text into lit) and advances. */
static int literal(struct parser *p, struct filter_literal *lit)
{
    if (p->tok == TOK_STRING) {
        lit->type = FILTER_LIT_STRING;
    } else if (p->tok == TOK_WORD) {
        const char *t = p->text;
        if (strcasecmp(t, "true") == 0 || strcasecmp(t, "false") == 0) {
            lit->type = FILTER_LIT_BOOL;
            for (char *c = p->text; *c; c++)
                *c = (char)tolower((unsigned char)*c);
        } else if (strcasecmp(t, "null") == 0) {
            lit->type = FILTER_LIT_NULL;
        } else if (guid_valid(t)) {
            lit->type = FILTER_LIT_GUID;
        } else if (is_datetime(t)) {
            lit->type = FILTER_LIT_DATETIME;
        } else if (strspn(t, "0123456789") == strlen(t) && strlen(t) <= 18) {
            lit->type = FILTER_LIT_NUMBER;
        } else {
            return fail_syntax(p, "a literal was expected");
        }
    } else {
        return fail_syntax(p, "a literal was expected");
    }
    lit->text = p->text;
    p->text = NULL;
    return next(p);
}

static int add_value(struct parser *p, struct filter_node *n)
{
    if (n->nvalues >= FILTER_MAX_VALUES)
        return fail_unsupported(p, "in: too many values");
    struct filter_literal *grown = realloc(n->values, sizeof(*grown) * (size_t)(n->nvalues + 1));
    if (grown == NULL)
        return fail_syntax(p, "out of memory");
    n->values = grown;
    n->values[n->nvalues].text = NULL;
    int rc = literal(p, &n->values[n->nvalues]);
    if (n->values[n->nvalues].text != NULL) /* taken even when the token after it is bad */
        n->nvalues++;
    return rc;
}

static int parse_op(struct parser *p, enum filter_op *op)
{
    static const struct {
        const char *name;
        enum filter_op op;
    } ops[] = {{"eq", FILTER_EQ}, {"ne", FILTER_NE}, {"gt", FILTER_GT}, {"ge", FILTER_GE},
               {"lt", FILTER_LT}, {"le", FILTER_LE}, {"in", FILTER_IN}};
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        if (is_word(p, ops[i].name)) {
            *op = ops[i].op;
            return next(p);
        }
    }
    if (p->tok == TOK_WORD && is_identifier(p->text))
        return fail_unsupported(p, p->text);
    return fail_syntax(p, "a comparison operator was expected");
}

/* After the operator: one literal, or `( lit, lit, ... )` for in. */
static int comparison_rhs(struct parser *p, struct filter_node *n)
{
    if (n->op != FILTER_IN)
        return add_value(p, n);
    if (expect(p, TOK_LPAREN, "'(' was expected after in") != 0)
        return -1;
    for (;;) {
        if (add_value(p, n) != 0)
            return -1;
        if (p->tok == TOK_COMMA) {
            if (next(p) != 0)
                return -1;
            continue;
        }
        return expect(p, TOK_RPAREN, "')' was expected to close the in list");
    }
}

static int parse_func_name(const char *w, enum filter_func *f)
{
    if (strcasecmp(w, "startswith") == 0) {
        *f = FILTER_STARTSWITH;
        return 1;
    }
    if (strcasecmp(w, "endswith") == 0) {
        *f = FILTER_ENDSWITH;
        return 1;
    }
    return 0;
}

static struct filter_node *new_node(struct parser *p, enum filter_kind kind)
{
    struct filter_node *n = calloc(1, sizeof(*n));
    if (n == NULL)
        fail_syntax(p, "out of memory");
    else
        n->kind = kind;
    return n;
}

/* v or v/sub inside a lambda body whose variable is var. */
static int lambda_operand(struct parser *p, const char *var, struct filter_node *n)
{
    if (p->tok != TOK_WORD || strcmp(p->text, var) != 0)
        return fail_syntax(p, "the lambda variable was expected");
    if (next(p) != 0)
        return -1;
    if (p->tok == TOK_SLASH) {
        if (next(p) != 0)
            return -1;
        if (p->tok != TOK_WORD || !is_identifier(p->text))
            return fail_syntax(p, "a property was expected after '/'");
        n->sub = p->text;
        p->text = NULL;
        return next(p);
    }
    return 0;
}

/* property/any(v: body) with the current token just after "any". */
static int lambda(struct parser *p, struct filter_node *n)
{
    if (expect(p, TOK_LPAREN, "'(' was expected after any") != 0)
        return -1;
    if (p->tok != TOK_WORD || !is_identifier(p->text))
        return fail_syntax(p, "a lambda variable was expected");
    char *var = p->text;
    p->text = NULL;
    int rc = -1;
    if (next(p) != 0 || expect(p, TOK_COLON, "':' was expected after the lambda variable") != 0)
        goto out;
    enum filter_func f;
    if (p->tok == TOK_WORD && parse_func_name(p->text, &f)) {
        n->body_is_func = 1;
        n->func = f;
        if (next(p) != 0 || expect(p, TOK_LPAREN, "'(' was expected") != 0 ||
            lambda_operand(p, var, n) != 0 || expect(p, TOK_COMMA, "',' was expected") != 0 ||
            add_value(p, n) != 0 || expect(p, TOK_RPAREN, "')' was expected") != 0)
            goto out;
    } else {
        if (lambda_operand(p, var, n) != 0 || parse_op(p, &n->op) != 0 || comparison_rhs(p, n) != 0)
            goto out;
    }
    if (p->tok == TOK_WORD && (is_word(p, "and") || is_word(p, "or"))) {
        fail_unsupported(p, "lambda bodies with and/or");
        goto out;
    }
    rc = expect(p, TOK_RPAREN, "')' was expected to close any(...)");
out:
    free(var);
    return rc;
}

/* With the current token the '/' after *property: reads more segments into *property
 * ("initiatedBy/user/id"), or stops at "/any" with *is_lambda set and "any" current. */
static int property_path(struct parser *p, char **property, int *is_lambda)
{
    *is_lambda = 0;
    while (p->tok == TOK_SLASH) {
        if (next(p) != 0)
            return -1;
        if (is_word(p, "any")) {
            *is_lambda = 1;
            return 0;
        }
        if (p->tok != TOK_WORD || !is_identifier(p->text))
            return fail_syntax(p, "a property was expected after '/'");
        size_t a = strlen(*property), b = strlen(p->text);
        char *joined = malloc(a + b + 2);
        if (joined == NULL)
            return fail_syntax(p, "out of memory");
        memcpy(joined, *property, a);
        joined[a] = '/';
        memcpy(joined + a + 1, p->text, b + 1);
        free(*property);
        *property = joined;
        char *segment = p->text;
        p->text = NULL;
        int rc = next(p);
        if (rc == 0 && p->tok == TOK_LPAREN) /* all(...), or another function we do not know */
            rc = fail_unsupported(p, segment);
        free(segment);
        if (rc != 0)
            return -1;
    }
    return 0;
}

static struct filter_node *parse_or(struct parser *p);

static struct filter_node *parse_primary(struct parser *p)
{
    if (++p->depth > FILTER_MAX_DEPTH) {
        fail_unsupported(p, "nesting too deep");
        return NULL;
    }
    struct filter_node *n = NULL;
    if (p->tok == TOK_LPAREN) {
        if (next(p) != 0)
            goto fail;
        n = parse_or(p);
        if (n == NULL || expect(p, TOK_RPAREN, "')' was expected") != 0)
            goto fail;
        goto done;
    }
    if (is_word(p, "not")) {
        if (next(p) != 0)
            goto fail;
        n = new_node(p, FILTER_NOT);
        if (n == NULL || (n->left = parse_primary(p)) == NULL)
            goto fail;
        goto done;
    }
    if (p->tok != TOK_WORD || !is_identifier(p->text)) {
        fail_syntax(p, "a property, function or '(' was expected");
        goto fail;
    }
    enum filter_func f;
    if (parse_func_name(p->text, &f)) {
        n = new_node(p, FILTER_FUNC);
        if (n == NULL)
            goto fail;
        n->func = f;
        if (next(p) != 0 || expect(p, TOK_LPAREN, "'(' was expected after the function") != 0)
            goto fail;
        if (p->tok != TOK_WORD || !is_identifier(p->text)) {
            fail_syntax(p, "a property was expected as the first argument");
            goto fail;
        }
        n->property = p->text;
        p->text = NULL;
        int is_lambda = 0;
        if (next(p) != 0 ||
            (p->tok == TOK_SLASH && property_path(p, &n->property, &is_lambda) != 0))
            goto fail;
        if (is_lambda) {
            fail_syntax(p, "a property was expected as the first argument");
            goto fail;
        }
        if (expect(p, TOK_COMMA, "',' was expected") != 0 || add_value(p, n) != 0 ||
            expect(p, TOK_RPAREN, "')' was expected") != 0)
            goto fail;
        goto done;
    }
    char *property = p->text;
    p->text = NULL;
    if (next(p) != 0) {
        free(property);
        goto fail;
    }
    if (p->tok == TOK_LPAREN) { /* a function we do not know */
        fail_unsupported(p, property);
        free(property);
        goto fail;
    }
    int is_lambda = 0;
    if (p->tok == TOK_SLASH && property_path(p, &property, &is_lambda) != 0) {
        free(property);
        goto fail;
    }
    if (is_lambda) {
        n = new_node(p, FILTER_ANY);
        if (n == NULL) {
            free(property);
            goto fail;
        }
        n->property = property;
        if (next(p) != 0 || lambda(p, n) != 0)
            goto fail;
        goto done;
    }
    n = new_node(p, FILTER_CMP);
    if (n == NULL) {
        free(property);
        goto fail;
    }
    n->property = property;
    if (parse_op(p, &n->op) != 0 || comparison_rhs(p, n) != 0)
        goto fail;
done:
    p->depth--;
    return n;
fail:
    filter_free(n);
    return NULL;
}

static struct filter_node *parse_binary(struct parser *p, int is_or)
{
    struct filter_node *left = is_or ? parse_binary(p, 0) : parse_primary(p);
    int chained = 0;
    while (left != NULL && is_word(p, is_or ? "or" : "and")) {
        /* Each operand of a chain counts toward the depth: a flat chain is a deep tree. */
        if (++p->depth > FILTER_MAX_DEPTH * 4) {
            fail_unsupported(p, "too many and/or operands");
            filter_free(left);
            return NULL;
        }
        chained++;
        if (next(p) != 0) {
            filter_free(left);
            return NULL;
        }
        struct filter_node *right = is_or ? parse_binary(p, 0) : parse_primary(p);
        struct filter_node *n = right ? new_node(p, is_or ? FILTER_OR : FILTER_AND) : NULL;
        if (n == NULL) {
            filter_free(left);
            filter_free(right);
            return NULL;
        }
        n->left = left;
        n->right = right;
        left = n;
    }
    p->depth -= chained;
    return left;
}

static struct filter_node *parse_or(struct parser *p)
{
    return parse_binary(p, 1);
}

struct filter_node *filter_parse(const char *text, struct lic_error *err)
{
    if (strlen(text) > FILTER_MAX_LENGTH) {
        lic_error_set(err, LIC_ERR_BAD_REQUEST, "Request_UnsupportedQuery",
                      "The $filter expression is longer than %d characters.", FILTER_MAX_LENGTH);
        return NULL;
    }
    if (!utf8_is_valid(text)) {
        lic_error_set(err, LIC_ERR_BAD_REQUEST, "BadRequest",
                      "Invalid filter clause: the expression is not valid UTF-8.");
        return NULL;
    }
    struct parser p = {.src = text, .err = err};
    struct filter_node *n = NULL;
    if (next(&p) == 0) {
        if (p.tok == TOK_END)
            fail_syntax(&p, "the expression is empty");
        else
            n = parse_or(&p);
    }
    if (n != NULL && p.tok != TOK_END) {
        if (p.tok == TOK_WORD && is_identifier(p.text))
            fail_unsupported(&p, p.text);
        else
            fail_syntax(&p, "unexpected text after the expression");
        filter_free(n);
        n = NULL;
    }
    free(p.text);
    return n;
}
