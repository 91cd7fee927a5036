/* The op table is sorted (ops_find bisects it) and finds every SPEC §4 op served. */
#include "check.h"
#include "ops.h"

int main(void)
{
    ASSERT_EQ(ops_check(), 0);
    static const char *const ops[] = {"hello", "auth.register", "auth.login", "upload.begin",
                                      "upload.commit", "upload.abort", "design.get",
                                      "design.watch", "design.unwatch", "gallery.get",
                                      "gallery.subscribe", "gallery.unsubscribe", "vote.cast",
                                      "vote.clear", "contest.create", "contest.update",
                                      "contest.get", "contest.list", "design.set_status",
                                      "design.hide", "design.report", "creator.get",
                                      "creator.top", "comment.post", "comment.list"};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        const struct op *op = ops_find(ops[i]);
        ASSERT(op != NULL);
        ASSERT_STREQ(op->name, ops[i]);
    }
    ASSERT(ops_find("nope") == NULL);
    ASSERT(ops_find("") == NULL);
    ASSERT((ops_find("contest.create")->flags & OP_BRAND) != 0);
    ASSERT((ops_find("vote.cast")->flags & OP_AUTH) != 0);
    ASSERT_EQ(ops_find("gallery.get")->flags, 0);
    ASSERT((ops_find("design.set_status")->flags & OP_BRAND) != 0);
    ASSERT((ops_find("design.hide")->flags & OP_BRAND) != 0);
    ASSERT((ops_find("design.report")->flags & OP_AUTH) != 0);
    ASSERT_EQ(ops_find("creator.top")->flags, 0);
    ASSERT_EQ(ops_find("comment.post")->flags, OP_AUTH);
    ASSERT_EQ(ops_find("comment.list")->flags, 0);
    return 0;
}
