// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit test: the element file ebpflow-mappings writes for each profile, read
 * by libfixbuf itself, is exactly the elements of that profile's export
 * templates (numbers, names, types, semantics, units), for the --pen given.
 * tests/test_mappings.py then checks every other format against this file.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "templates.h"

#define PEN 4242

static char *generate(void)
{
	char *dir = g_dir_make_tmp("ebpflow-mappings-XXXXXX", NULL);
	char *argv[] = { EBPFLOW_MAPPINGS, "--pen", G_STRINGIFY(PEN), "--out-dir", dir, NULL };
	char *err = NULL;
	gint status;

	g_assert_nonnull(dir);
	g_assert_true(
	    g_spawn_sync(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, &err, &status, NULL));
	g_assert_cmpstr(err, ==, "");
	g_assert_cmpint(status, ==, 0);
	g_free(err);
	return dir;
}

static void check_profile(const char *dir, enum ie_profile p, const char *name)
{
	char *path = g_build_filename(dir, name, "ipfix-elements.xml", NULL);
	fbInfoModel_t *want = fbInfoModelAlloc(), *got = fbInfoModelAlloc();
	fbSession_t *s;
	GHashTable *seen = g_hash_table_new(g_direct_hash, g_direct_equal);
	uint16_t tids[TEMPLATES_EXPORT_MAX];
	size_t n;
	GError *err = NULL;
	char *xml = NULL;
	guint records = 0;

	templates_add_elements(want, PEN);
	g_assert_true(fbInfoModelReadXMLFile(got, path, &err));
	g_assert_no_error(err);
	s = fbSessionAlloc(want);
	g_assert_true(templates_add_to_session(s, p, &err));
	n = templates_export_tids(p, tids);
	for (size_t k = 0; k < n; k++) {
		fbTemplate_t *t = fbSessionGetTemplate(s, FALSE, tids[k], &err);

		g_assert_nonnull(t);
		for (uint32_t i = 0; i < fbTemplateCountElements(t); i++) {
			const fbInfoElement_t *w = fbTemplateGetIndexedIE(t, i)->ref.canon;
			const fbInfoElement_t *g =
			    fbInfoModelGetElementByID(got, w->num, w->ent);

			g_assert_nonnull(g);
			g_assert_cmpstr(g->ref.name, ==, w->ref.name);
			g_assert_cmpuint(g->type, ==, w->type);
			g_assert_cmpuint(FB_IE_SEMANTIC(g->flags), ==,
					 FB_IE_SEMANTIC(w->flags));
			g_assert_cmpuint(FB_IE_UNITS(g->flags), ==, FB_IE_UNITS(w->flags));
			/* libfixbuf reads integers from the wire in network order */
			g_assert_cmpuint(g->flags & FB_IE_F_ENDIAN, ==,
					 w->flags & FB_IE_F_ENDIAN);
			/* eBPFlow's own elements under the PEN given */
			if (w->ent && w->ent != NTOP_PEN && w->ent != REVERSE_PEN)
				g_assert_cmpuint(w->ent, ==, PEN);
			g_hash_table_add(seen, GUINT_TO_POINTER(w->ent << 16 | w->num));
		}
	}
	/* nothing the templates do not carry */
	g_assert_true(g_file_get_contents(path, &xml, NULL, NULL));
	for (const char *r = xml; (r = strstr(r, "<record>")); r++)
		records++;
	g_assert_cmpuint(records, ==, g_hash_table_size(seen));
	g_free(xml);
	g_hash_table_destroy(seen);
	fbSessionFree(s);
	fbInfoModelFree(got);
	fbInfoModelFree(want);
	g_free(path);
}

static void remove_tree(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *e;

	while (d && (e = g_dir_read_name(d))) {
		char *p = g_build_filename(dir, e, NULL);

		if (g_file_test(p, G_FILE_TEST_IS_DIR))
			remove_tree(p);
		else
			g_unlink(p);
		g_free(p);
	}
	if (d)
		g_dir_close(d);
	g_rmdir(dir);
}

static void test_element_files(void)
{
	char *dir = generate();

	check_profile(dir, IE_PROFILE_EBPFLOW, "ebpflow");
	check_profile(dir, IE_PROFILE_NTOP, "ntop");
	remove_tree(dir);
	g_free(dir);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/mappings/element_files", test_element_files);
	return g_test_run();
}
