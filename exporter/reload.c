// SPDX-License-Identifier: GPL-2.0-only
/*
 * What a reload (SIGHUP) changes: which options of a class differ between
 * the configuration in force and the new one, and the options that take
 * effect only at restart kept at their running values. Read from the
 * option table (options.c), so a new option needs no code here.
 */
#include "reload.h"

#include <string.h>

#include "log.h"

/* Does n give opt another value than o? */
static bool changed(const struct option_def *opt, const struct ebpflow_config *o,
		    const struct ebpflow_config *n)
{
	char *a = option_format(opt, o), *b = option_format(opt, n);
	bool diff = strcmp(a, b) != 0;

	g_free(a);
	g_free(b);
	return diff;
}

bool options_changed(const struct ebpflow_config *o, const struct ebpflow_config *n,
		     unsigned int flag)
{
	size_t count;
	const struct option_def *t = options_table(&count);

	for (size_t i = 0; i < count; i++)
		if ((t[i].flags & flag) && changed(&t[i], o, n))
			return true;
	return false;
}

void options_keep_restart_values(struct ebpflow_config *o, struct ebpflow_config *n)
{
	size_t count;
	const struct option_def *t = options_table(&count);

	for (size_t i = 0; i < count; i++) {
		char tmp[sizeof(void *) > sizeof(int) ? sizeof(void *) : sizeof(int)];

		if (!(t[i].flags & OPT_RESTART) || !changed(&t[i], o, n))
			continue;
		if (t[i].section)
			pr_warn("reload: [%s] %s takes effect at restart\n", t[i].section,
				t[i].key);
		else
			pr_warn("reload: --%s takes effect at restart\n", t[i].name);
		/* swapped, not copied: each config still owns what it frees */
		memcpy(tmp, (char *)o + t[i].offset, t[i].size);
		memcpy((char *)o + t[i].offset, (char *)n + t[i].offset, t[i].size);
		memcpy((char *)n + t[i].offset, tmp, t[i].size);
	}
}
