# CS_OPTIONAL_LIB(NAME, PKG-MODULE, HEADER, FUNCTION, FALLBACK-LIBS)
# --with-NAME=check|yes|no (default check).  pkg-config first, then a plain
# header + link test.  "yes" makes a missing library a hard error.
# Defines HAVE_<NAME> (1/0), substitutes <NAME>_CFLAGS/<NAME>_LIBS and the
# automake conditional HAVE_<NAME>; records the result for the summary.
AC_DEFUN([CS_OPTIONAL_LIB], [
  m4_pushdef([UP], m4_toupper([$1]))
  AC_ARG_WITH([$1],
    [AS_HELP_STRING([--with-$1@<:@=check|yes|no@:>@], [compress pages with $1 (default: check)])],
    [], [with_$1=check])
  cs_have_$1=no
  AS_CASE([$with_$1],
    [no], [],
    [yes|check], [
      PKG_CHECK_MODULES(UP, [$2], [cs_have_$1=yes], [
        cs_save_LIBS=$LIBS
        AC_CHECK_HEADER([$3], [
          AC_SEARCH_LIBS([$4], [$5], [
            cs_have_$1=yes
            AS_IF([test "x$ac_cv_search_$4" != "xnone required"], [UP[]_LIBS=$ac_cv_search_$4])
          ])
        ])
        LIBS=$cs_save_LIBS
      ])
      AS_IF([test "x$with_$1" = xyes && test "x$cs_have_$1" != xyes],
        [AC_MSG_ERROR([--with-$1 was given but $1 ($2 / $3) was not found])])
    ],
    [AC_MSG_ERROR([bad value '$with_$1' for --with-$1 (check, yes or no)])])
  AS_IF([test "x$cs_have_$1" = xyes],
    [AC_DEFINE([HAVE_]UP, [1], [Define to 1 if $1 is available])],
    [AC_DEFINE([HAVE_]UP, [0], [Define to 1 if $1 is available])
     UP[]_CFLAGS=
     UP[]_LIBS=])
  AC_SUBST(UP[_CFLAGS])
  AC_SUBST(UP[_LIBS])
  AM_CONDITIONAL([HAVE_]UP, [test "x$cs_have_$1" = xyes])
  cs_summary="$cs_summary
    $1: $cs_have_$1"
  m4_popdef([UP])
])
