/*
 * elf_symbols.c — symbol lookup in the Python image with libelf.
 *
 * Both .symtab and .dynsym are searched (Debian strips .symtab but exports the
 * symbols we need in .dynsym because extension modules link against them).
 * The load bias is the mapping base minus the lowest PT_LOAD address, zero
 * for a non-PIE executable (ET_EXEC), whose addresses are absolute.
 */
#include "collect/elf_symbols.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void sg_elf_match_symbols(Elf *elf, Elf_Scn *scn, const GElf_Shdr *shdr,
                                 sg_python_symbols *syms)
{
    Elf_Data *data = elf_getdata(scn, NULL);
    if (!data || shdr->sh_entsize == 0)
        return;
    size_t count = shdr->sh_size / shdr->sh_entsize;
    for (size_t i = 0; i < count; i++) {
        GElf_Sym sym;
        if (!gelf_getsym(data, (int)i, &sym) || sym.st_value == 0)
            continue;
        const char *name = elf_strptr(elf, shdr->sh_link, sym.st_name);
        /* Py_GetVersion's `static char version[250]`, named version.N. */
        if (name && strncmp(name, "version.", 8) == 0 && sym.st_size == 250 &&
            GELF_ST_TYPE(sym.st_info) == STT_OBJECT)
            syms->version_buffer = sym.st_value;
        if (!name || (name[0] != '_' && name[0] != 'P'))
            continue;
        if (strcmp(name, "_PyRuntime") == 0)
            syms->runtime = sym.st_value;
        else if (strcmp(name, "Py_Version") == 0)
            syms->py_version = sym.st_value;
        else if (strcmp(name, "PyCode_Type") == 0)
            syms->code_type = sym.st_value;
        else if (strcmp(name, "PyUnicode_Type") == 0)
            syms->unicode_type = sym.st_value;
        else if (strcmp(name, "_Py_NoneStruct") == 0)
            syms->none = sym.st_value;
    }
}

static uint64_t sg_elf_lowest_load(Elf *elf)
{
    size_t phnum = 0;
    uint64_t lowest = UINT64_MAX;
    if (elf_getphdrnum(elf, &phnum) != 0)
        return 0;
    for (size_t i = 0; i < phnum; i++) {
        GElf_Phdr ph;
        if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD && ph.p_vaddr < lowest)
            lowest = ph.p_vaddr & ~(uint64_t)0xfff;
    }
    return lowest == UINT64_MAX ? 0 : lowest;
}

static int sg_elf_open(pid_t pid, const char *path)
{
    char rooted[4200];
    snprintf(rooted, sizeof rooted, "/proc/%d/root%s", (int)pid, path);
    int fd = open(rooted, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        fd = open(path, O_RDONLY | O_CLOEXEC);
    return fd;
}

int sg_elf_python_symbols(pid_t pid, const sg_python_image *image, sg_python_symbols *syms,
                          char *err, size_t errlen)
{
    memset(syms, 0, sizeof *syms);
    if (elf_version(EV_CURRENT) == EV_NONE) {
        snprintf(err, errlen, "libelf is unusable: %s", elf_errmsg(-1));
        return -EINVAL;
    }
    int fd = sg_elf_open(pid, image->path);
    if (fd < 0) {
        int e = errno;
        snprintf(err, errlen, "cannot open %s: %s", image->path, strerror(e));
        return -e;
    }
    Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
    GElf_Ehdr ehdr;
    if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &ehdr)) {
        snprintf(err, errlen, "%s is not an ELF file: %s", image->path, elf_errmsg(-1));
        if (elf)
            elf_end(elf);
        close(fd);
        return -ENOEXEC;
    }
    size_t shstrndx = 0;
    elf_getshdrstrndx(elf, &shstrndx);
    for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn; scn = elf_nextscn(elf, scn)) {
        GElf_Shdr shdr;
        if (!gelf_getshdr(scn, &shdr))
            continue;
        if (shdr.sh_type == SHT_SYMTAB || shdr.sh_type == SHT_DYNSYM)
            sg_elf_match_symbols(elf, scn, &shdr, syms);
        const char *name = elf_strptr(elf, shstrndx, shdr.sh_name);
        if (name && strcmp(name, ".PyRuntime") == 0)
            syms->runtime_section = shdr.sh_addr;
    }
    uint64_t bias = ehdr.e_type == ET_DYN ? image->base - sg_elf_lowest_load(elf) : 0;
    elf_end(elf);
    close(fd);

    uint64_t *addrs[] = {&syms->runtime,       &syms->runtime_section, &syms->py_version,
                         &syms->code_type,     &syms->unicode_type,    &syms->none,
                         &syms->version_buffer};
    for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++)
        if (*addrs[i])
            *addrs[i] += bias;
    if (!syms->runtime)
        syms->runtime = syms->runtime_section;
    if (!syms->runtime) {
        snprintf(err, errlen, "%s has no _PyRuntime symbol or .PyRuntime section", image->path);
        return -ENOENT;
    }
    return 0;
}
